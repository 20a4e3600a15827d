import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { testCertificates } from "../support/certs.ts";
import { runMain } from "../support/cli.ts";
import { spawnEmpath } from "../support/process.ts";

const BASE = (dir: string) => `
hostname = "checks.empath.test"
[control]
listen = "127.0.0.1:0"
token_file = "${dir}/control.token"
`;

/** Runs `empath serve` to completion (it must refuse to start) and returns its code and stderr. */
async function refusedStart(
  dir: string,
  config: string,
): Promise<{ code: number; lines: string[] }> {
  await Deno.writeTextFile(`${dir}/empath.toml`, config);
  const { code, stderr } = await runMain(["serve", "--config", "empath.toml"], {
    cwd: dir,
    timeoutMs: 30_000,
  });
  return { code, lines: stderr.split("\n").filter((line) => line !== "") };
}

async function inTempDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "empath-checks-" });
  try {
    await run(dir);
  } finally {
    await Deno.chmod(`${dir}/queue`, 0o700).catch(() => {});
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

Deno.test("`empath serve` with an unwritable queue directory exits 74 with one line", async () => {
  await inTempDir(async (dir) => {
    const queuePath = `${dir}/queue/empath.kv`;
    if (Deno.uid() === 0) {
      // Root writes through permission bits: make the directory a regular file instead.
      await Deno.writeTextFile(`${dir}/queue`, "");
    } else {
      await Deno.mkdir(`${dir}/queue`);
      await Deno.chmod(`${dir}/queue`, 0o500);
    }
    const config = BASE(dir) +
      `[[listen]]\naddress = "127.0.0.1:0"\n[queue]\npath = "${queuePath}"\n`;
    const { code, lines } = await refusedStart(dir, config);
    assert.equal(code, 74);
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(lines[0], /^empath: Cannot (create|write to) queue directory ".*queue": \S/);
  });
});

Deno.test("`empath serve` with its SMTP port in use exits 74 with one line", async () => {
  await inTempDir(async (dir) => {
    using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const address = `127.0.0.1:${taken.addr.port}`;
    const config = BASE(dir) +
      `[[listen]]\naddress = "${address}"\n[queue]\npath = "${dir}/queue.kv"\n`;
    const { code, lines } = await refusedStart(dir, config);
    assert.equal(code, 74);
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(lines[0], new RegExp(`^empath: Cannot listen on "${address}" for listener `));
  });
});

Deno.test("`empath serve` with a TLS key of another certificate exits 78 with one line", async () => {
  const certs = await testCertificates();
  await inTempDir(async (dir) => {
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    await Deno.writeTextFile(
      `${dir}/other.pem`,
      String(other.export({ type: "pkcs8", format: "pem" })),
    );
    const config = BASE(dir) +
      `[[listen]]\naddress = "127.0.0.1:0"\n[queue]\npath = "${dir}/queue.kv"\n` +
      `[tls]\ncert = "${certs.cert}"\nkey = "${dir}/other.pem"\n`;
    const { code, lines } = await refusedStart(dir, config);
    assert.equal(code, 78);
    assert.deepEqual(lines, [
      `empath: TLS key "${dir}/other.pem" does not match certificate "${certs.cert}"`,
    ]);
  });
});

Deno.test("`empath serve` relaying for 0.0.0.0/0 starts with a warning naming the open relay", async () => {
  await inTempDir(async (dir) => {
    const config = BASE(dir) +
      `[[listen]]\naddress = "127.0.0.1:0"\n[queue]\npath = "${dir}/queue.kv"\n` +
      `[policy]\ntrusted_networks = ["0.0.0.0/0"]\n`;
    await Deno.writeTextFile(`${dir}/empath.toml`, config);
    const proc = await spawnEmpath({ cwd: dir, config: "empath.toml" });
    assert.equal((await proc.stop("SIGTERM")).code, 0);
    const warnings = proc.logs.filter((l) =>
      l.level === "warning" && String(l.message).includes("open relay")
    );
    assert.equal(warnings.length, 1);
    assert.match(String(warnings[0].message), /policy\.trusted_networks \("0\.0\.0\.0\/0"\)/);
  });
});
