import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { defaultConfig } from "./config/mod.ts";
import { checkPortsFree, checkQueueDirectory, checkStartup, checkTlsFiles } from "./preflight.ts";
import { testCertificates } from "../tests/support/certs.ts";

async function withTempDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "empath-preflight-" });
  try {
    await run(dir);
  } finally {
    await Deno.chmod(dir, 0o700).catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("checkTlsFiles() accepts a certificate with its own key", async () => {
  const certs = await testCertificates();
  assert.deepEqual(await checkTlsFiles({ cert: certs.cert, key: certs.key }), []);
});

Deno.test("checkTlsFiles() reports a key of another pair, an unreadable file and garbage", async () => {
  const certs = await testCertificates();
  await withTempDir(async (dir) => {
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    await Deno.writeTextFile(
      `${dir}/other.pem`,
      String(other.export({ type: "pkcs8", format: "pem" })),
    );
    await Deno.writeTextFile(`${dir}/garbage.pem`, "not a certificate\n");
    assert.deepEqual(await checkTlsFiles({ cert: certs.cert, key: `${dir}/other.pem` }), [{
      kind: "config",
      message: `TLS key "${dir}/other.pem" does not match certificate "${certs.cert}"`,
    }]);
    const [missing] = await checkTlsFiles({ cert: `${dir}/nope.pem`, key: certs.key });
    assert.equal(missing.kind, "config");
    assert.match(missing.message, /^Cannot read TLS certificate ".*nope\.pem": /);
    const [badCert] = await checkTlsFiles({ cert: `${dir}/garbage.pem`, key: certs.key });
    assert.match(badCert.message, /^Cannot parse TLS certificate ".*garbage\.pem" as PEM: /);
    const [badKey] = await checkTlsFiles({ cert: certs.cert, key: `${dir}/garbage.pem` });
    assert.match(badKey.message, /^Cannot parse TLS key ".*garbage\.pem" as a PEM private key: /);
  });
});

Deno.test("checkQueueDirectory() creates a missing directory and leaves no probe file", async () => {
  await withTempDir(async (dir) => {
    assert.deepEqual(await checkQueueDirectory(`${dir}/a/b/queue.kv`), []);
    assert.deepEqual([...Deno.readDirSync(`${dir}/a/b`)], []);
    assert.deepEqual(await checkQueueDirectory(":memory:"), []);
  });
});

Deno.test("checkQueueDirectory() reports a directory that cannot be written as an I/O problem", async () => {
  await withTempDir(async (dir) => {
    // Root ignores permission bits: a path below a regular file fails for everyone.
    await Deno.writeTextFile(`${dir}/file`, "");
    const [below] = await checkQueueDirectory(`${dir}/file/queue.kv`);
    assert.equal(below.kind, "io");
    assert.match(below.message, /^Cannot create queue directory ".*file": /);
    if (Deno.uid() === 0) return;
    await Deno.mkdir(`${dir}/ro`);
    await Deno.chmod(`${dir}/ro`, 0o500);
    const [readOnly] = await checkQueueDirectory(`${dir}/ro/queue.kv`);
    assert.match(readOnly.message, /^Cannot write to queue directory ".*ro": /);
  });
});

Deno.test("checkPortsFree() reports a port in use and two addresses on one port", () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const config = defaultConfig();
  config.listen = [
    {
      address: `127.0.0.1:${taken.addr.port}`,
      name: "smtp",
      starttls: false,
      auth: "disabled",
      dsn: true,
    },
    { address: "127.0.0.1:0", name: "any", starttls: false, auth: "disabled", dsn: true },
  ];
  config.control.listen = "127.0.0.1:0";
  const [inUse, ...rest] = checkPortsFree(config);
  assert.deepEqual(rest, []);
  assert.equal(inUse.kind, "io");
  assert.match(
    inUse.message,
    new RegExp(`^Cannot listen on "127\\.0\\.0\\.1:${taken.addr.port}" for listener "smtp": `),
  );

  const free = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = free.addr.port;
  free.close();
  config.listen = [
    { address: `127.0.0.1:${port}`, name: "smtp", starttls: false, auth: "disabled", dsn: true },
  ];
  config.control.listen = `127.0.0.1:${port}`;
  const [clash] = checkPortsFree(config);
  assert.match(clash.message, /for the control API: /);
  // The check binds only for a moment.
  Deno.listen({ hostname: "127.0.0.1", port }).close();
});

Deno.test("checkStartup() finds nothing wrong with a usable configuration", async () => {
  await withTempDir(async (dir) => {
    const config = defaultConfig();
    config.listen = [{
      address: "127.0.0.1:0",
      name: "smtp",
      starttls: false,
      auth: "disabled",
      dsn: true,
    }];
    config.control.listen = "127.0.0.1:0";
    config.queue.path = `${dir}/queue.kv`;
    assert.deepEqual(await checkStartup(config), []);
  });
});
