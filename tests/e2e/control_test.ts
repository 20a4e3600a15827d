import assert from "node:assert/strict";
import { daemonConfig, maildirRoute, smtpRoute } from "../support/daemon_config.ts";
import { run, skipWithout } from "../support/peers.ts";
import { controlApi, spawnEmpath } from "../support/process.ts";
import { sendMessage, TestSmtpClient } from "../support/smtp_client.ts";

const CONFIG = (dir: string) =>
  daemonConfig(dir, { hostname: "control.empath.test", retry: ["1h"] }) +
  smtpRoute(["unreachable.test"], "127.0.0.1:1") +
  maildirRoute(["local.test"], `${dir}/maildir`);

Deno.test({
  name:
    "control API on the real daemon: token file, 401 without it, a deferred message listed and held",
  ignore: skipWithout("curl", "curl"),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "empath-control-" });
    await Deno.writeTextFile(`${dir}/empath.toml`, CONFIG(dir));
    const proc = await spawnEmpath({ cwd: dir, config: `${dir}/empath.toml` });
    try {
      const { url: base, token } = await controlApi(proc, `${dir}/control.token`);
      assert.equal((await Deno.stat(`${dir}/control.token`)).mode! & 0o777, 0o600);
      assert.ok(
        proc.logs.every((l) => !JSON.stringify(l).includes(token)),
        "the token is never logged",
      );

      {
        await using client = await TestSmtpClient.connect(proc.port);
        await client.reply();
        await client.command("EHLO control.test");
        const reply = await sendMessage(client, {
          from: "a@origin.test",
          to: ["b@unreachable.test"],
          body: "Subject: stuck\r\n\r\nx",
        });
        assert.equal(reply.code, 250);
      }
      const health = await run("curl", [
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        `${base}/healthz`,
      ]);
      assert.equal(health.stdout, "200");
      const denied = await fetch(`${base}/v1/queue`);
      assert.equal(denied.status, 401);
      assert.equal((await denied.json()).error.code, "unauthorized");
      const headers = { authorization: `Bearer ${token}` };
      let id = "";
      for (let i = 0; i < 100 && id === ""; i++) {
        const listed = await (await fetch(`${base}/v1/queue?state=queued`, { headers })).json();
        const message = listed.messages?.find((m: { recipients: { status: string }[] }) =>
          m.recipients[0].status === "deferred"
        );
        if (message) id = message.id;
        else await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.notEqual(id, "", "the message to the unreachable domain is listed as deferred");
      const curlView = await run("curl", [
        "-s",
        "-H",
        `Authorization: Bearer ${token}`,
        `${base}/v1/queue/${id}`,
      ]);
      assert.equal(JSON.parse(curlView.stdout).id ?? JSON.parse(curlView.stdout).message?.id, id);
      const hold = await fetch(`${base}/v1/queue/${id}/hold`, { method: "POST", headers });
      assert.equal(hold.status, 200, await hold.text());
      const held = await (await fetch(`${base}/v1/queue?state=held`, { headers })).json();
      assert.deepEqual(held.messages.map((m: { id: string }) => m.id), [id]);

      // Injection over HTTP goes through the same spool and is delivered.
      const injected = await fetch(
        `${base}/v1/messages?from=${encodeURIComponent("app@origin.test")}&to=${
          encodeURIComponent("user@local.test")
        }`,
        {
          method: "POST",
          headers: { ...headers, "content-type": "message/rfc822" },
          body: "Subject: injected\nFrom: app@origin.test\n\nHello over HTTP\n",
        },
      );
      assert.equal(injected.status, 202, await injected.clone().text());
      const { id: injectedId } = await injected.json();
      let delivered = "";
      for (let i = 0; i < 100 && delivered === ""; i++) {
        try {
          const [file] = [...Deno.readDirSync(`${dir}/maildir/user/new`)];
          if (file) delivered = await Deno.readTextFile(`${dir}/maildir/user/new/${file.name}`);
        } catch {
          // not delivered yet
        }
        if (delivered === "") await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.match(delivered, new RegExp(`with HTTP id ${injectedId}`));
      assert.match(
        delivered,
        /Subject: injected\r\nFrom: app@origin\.test\r\n\r\nHello over HTTP\r\n$/,
      );
    } finally {
      assert.equal((await proc.stop("SIGTERM")).code, 0);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
