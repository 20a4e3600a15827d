import assert from "node:assert/strict";
import { daemonConfig, maildirRoute } from "../support/daemon_config.ts";
import { controlApi, spawnEmpath } from "../support/process.ts";
import { sendMessage, TestSmtpClient } from "../support/smtp_client.ts";
import { eventually } from "../support/wait.ts";

const CONFIG = (dir: string, extra = "") =>
  daemonConfig(dir, { hostname: "reload.empath.test", retry: ["1h"] }) +
  maildirRoute(["first.test"], `${dir}/first`) + extra;

const LATER_ROUTE = (dir: string) => maildirRoute(["later.test"], `${dir}/later`);

async function send(port: number, to: string): Promise<void> {
  await using client = await TestSmtpClient.connect(port);
  await client.reply();
  await client.command("EHLO reload.test");
  const reply = await sendMessage(client, {
    from: "a@origin.test",
    to: [to],
    body: "Subject: r\r\n\r\nx",
  });
  assert.equal(reply.code, 250, reply.raw);
}

const files = (dir: string) => {
  try {
    return [...Deno.readDirSync(dir)].length;
  } catch {
    return 0;
  }
};

Deno.test("reload: SIGHUP adds a route that mail then follows; a broken file is refused and the old config stays", async () => {
  const dir = await Deno.makeTempDir({ prefix: "empath-reload-" });
  const configPath = `${dir}/empath.toml`;
  await Deno.writeTextFile(configPath, CONFIG(dir));
  // A command-line override must survive every reload (SIGHUP and the API).
  const proc = await spawnEmpath({ cwd: dir, config: configPath, args: ["--log-level", "debug"] });
  try {
    await send(proc.port, "u@later.test");
    // Without a route, later.test is looked up in DNS and deferred; nothing lands.
    await send(proc.port, "u@first.test");
    await eventually(() => Promise.resolve(files(`${dir}/first/u/new`) === 1));
    assert.equal(files(`${dir}/later/u/new`), 0);

    await Deno.writeTextFile(configPath, CONFIG(dir, LATER_ROUTE(dir)));
    proc.child.kill("SIGHUP");
    await eventually(() =>
      Promise.resolve(
        proc.logs.some((l) =>
          String(l.message).startsWith("Configuration") && String(l.message).includes("reloaded")
        ),
      )
    );
    await send(proc.port, "v@later.test");
    await eventually(() => Promise.resolve(files(`${dir}/later/v/new`) === 1));

    const { url, token } = await controlApi(proc, `${dir}/control.token`);
    await Deno.writeTextFile(
      configPath,
      CONFIG(dir, LATER_ROUTE(dir)) + "\n[policy]\nmax_recipients = -3\n",
    );
    const refused = await fetch(`${url}/v1/config/reload`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(refused.status, 400);
    const body = await refused.json();
    assert.equal(body.error.code, "invalid_config");
    assert.ok(body.error.issues.some((i: { path: string }) => i.path === "policy.max_recipients"));
    await send(proc.port, "w@later.test");
    await eventually(() => Promise.resolve(files(`${dir}/later/w/new`) === 1));

    await Deno.writeTextFile(configPath, CONFIG(dir, LATER_ROUTE(dir)));
    const applied = await fetch(`${url}/v1/config/reload`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(applied.status, 200, await applied.clone().text());
    const levels = await fetch(`${url}/v1/system/log-level`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal((await levels.json()).level, "debug", "--log-level debug survives reloads");
  } finally {
    assert.equal((await proc.stop("SIGTERM")).code, 0);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
