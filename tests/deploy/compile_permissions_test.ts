// `deno task compile` bakes its permission flags into dist/empath. Compiling needs a Deno
// runtime download, so these tests run the same flags, read from deno.json (the one place
// they are written), with `deno run main.ts`: what works here works in the binary.
import assert from "node:assert/strict";
import { compileFlags, flagValues } from "../support/compile_flags.ts";
import { run } from "../support/peers.ts";
import { controlApi, spawnEmpath } from "../support/process.ts";
import { sendMessage, TestSmtpClient } from "../support/smtp_client.ts";
import { eventually } from "../support/wait.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const MAIN = `${ROOT}main.ts`;

async function runEmpath(flags: string[], args: string[], cwd: string) {
  return await run(Deno.execPath(), ["run", ...flags, MAIN, ...args], {
    env: { NO_COLOR: "1" },
    cwd,
  });
}

Deno.test("the compile task grants scoped permissions, never -A", async () => {
  const flags = await compileFlags();
  for (const banned of ["-A", "--allow-all", "--allow-run", "--allow-ffi", "--allow-import"]) {
    assert.ok(!flags.some((flag) => flag.split("=")[0] === banned), `no ${banned}`);
  }
  for (const scoped of ["--allow-read", "--allow-write", "--allow-env", "--allow-sys"]) {
    assert.ok(flagValues(flags, scoped).length > 0, `${scoped} lists what it allows`);
    assert.ok(!flags.includes(scoped), `no bare ${scoped}`);
  }
  assert.ok(flags.includes("--no-prompt"), "the binary never stops to ask for a permission");
  assert.ok(flags.includes("--unstable-kv"));
  const readable = flagValues(flags, "--allow-read");
  for (const path of flagValues(flags, "--allow-write")) {
    assert.ok(readable.includes(path), `${path} is readable as well as writable`);
  }
  // Without [dns] name_server the DNS client reads the system's name servers on every query.
  assert.ok(readable.includes("/etc/resolv.conf"), "/etc/resolv.conf is readable");
  assert.deepEqual(flagValues(flags, "--allow-sys"), ["hostname", "statfs"]);
});

Deno.test("the compile task's permissions run the daemon on default paths, accept and deliver mail, and serve the CLI", async () => {
  const flags = await compileFlags();
  const dir = await Deno.makeTempDir({ prefix: "empath-permissions-" });
  try {
    // Defaults everywhere (queue, token, maildir and the audit file in ./data, the host name
    // from the system) except ports, which are free ones so parallel tests cannot collide.
    await Deno.mkdir(`${dir}/config`);
    await Deno.writeTextFile(
      `${dir}/config/empath.toml`,
      '[[listen]]\naddress = "127.0.0.1:0"\n\n[control]\nlisten = "127.0.0.1:0"\n\n' +
        '[observe.audit]\nsink = "file"\n',
    );
    await using proc = await spawnEmpath({
      cwd: dir,
      config: "config/empath.toml",
      denoFlags: flags,
    });
    {
      await using client = await TestSmtpClient.connect(proc.port);
      const greeting = await client.reply();
      // Without --allow-sys=hostname the name would silently fall back to "localhost".
      assert.match(greeting.raw, new RegExp(`^220 ${Deno.hostname().replaceAll(".", "\\.")} `));
      await client.command("EHLO permissions.test");
      const reply = await sendMessage(client, {
        from: "me@permissions.test",
        to: ["user@localhost"],
        body: "Subject: permissions\r\n\r\nScoped flags suffice.",
      });
      assert.match(reply.raw, /^250 2\.0\.0 Ok: queued as /);
    }
    await eventually(async () => {
      const files = await Array.fromAsync(Deno.readDir(`${dir}/data/maildir/user/new`))
        .catch(() => []);
      return files.length === 1;
    });
    const { url, token } = await controlApi(proc, `${dir}/data/control.token`);

    const stats = await runEmpath(
      flags,
      ["control", "--config", "config/empath.toml", "--url", url, "--json", "queue", "stats"],
      dir,
    );
    assert.equal(stats.code, 0, stats.stderr);
    assert.equal(JSON.parse(stats.stdout).total, 0, "the delivered message left the queue");
    const metrics = await fetch(`${url}/metrics`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /^empath_/m);
    const health = await runEmpath(flags, ["healthcheck", "--url", url], dir);
    assert.equal(health.code, 0, health.stderr);
    const version = await runEmpath(flags, ["version"], dir);
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, /^empath \d+\.\d+\.\d+ \(deno \S+, \S+, commit \S+\)\n$/);

    assert.equal((await Deno.stat(`${dir}/data/control.token`)).mode! & 0o777, 0o600);
    const status = await proc.stop("SIGTERM");
    assert.equal(status.code, 0);
    const denied = proc.logs.filter((log) => /Requires \w+ access/.test(JSON.stringify(log)));
    assert.deepEqual(denied, [], "no permission was refused");
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("deno task build-info writes an entry point whose `empath version` names the commit", async () => {
  const flags = await compileFlags();
  const dir = await Deno.makeTempDir({ prefix: "empath-build-info-" });
  try {
    const generated = await run(
      Deno.execPath(),
      ["run", "-A", `${ROOT}tools/build_info.ts`, "--output", `${dir}/empath_main.ts`],
      { env: { EMPATH_COMMIT: "0123456789ab" } },
    );
    assert.equal(generated.code, 0, generated.stderr);
    const version = await run(
      Deno.execPath(),
      ["run", ...flags, "--config", `${ROOT}deno.json`, `${dir}/empath_main.ts`, "version"],
      { cwd: dir },
    );
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, /^empath \S+ \(deno \S+, \S+, commit 0123456789ab\)\n$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
