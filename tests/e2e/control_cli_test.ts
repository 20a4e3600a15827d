// `empath control …` as an operator runs it: the real CLI entry point against the real daemon,
// finding the API address and token through `--config` alone.
import assert from "node:assert/strict";
import { controlCli } from "../support/cli.ts";
import { daemonConfig, maildirRoute, smtpRoute } from "../support/daemon_config.ts";
import { freePort } from "../support/net.ts";
import { spawnEmpath } from "../support/process.ts";
import { sendMessage, TestSmtpClient } from "../support/smtp_client.ts";
import { eventually } from "../support/wait.ts";

const CONFIG = (dir: string, controlPort: number) =>
  daemonConfig(dir, { hostname: "cli.empath.test", controlPort, retry: ["1h"] }) +
  smtpRoute(["unreachable.test"], "127.0.0.1:1") +
  maildirRoute(["origin.test"], `${dir}/maildir`);

Deno.test("empath control --config steers the real daemon: list, view, why, hold, release, retry, rate-limit, log-level, delete --bounce", async () => {
  const dir = await Deno.makeTempDir({ prefix: "empath-control-cli-" });
  const config = `${dir}/empath.toml`;
  await Deno.writeTextFile(config, CONFIG(dir, freePort()));
  await using proc = await spawnEmpath({ cwd: dir, config });
  const { run: control, ok } = controlCli(config, { cwd: dir });

  try {
    {
      await using client = await TestSmtpClient.connect(proc.port);
      await client.reply();
      await client.command("EHLO cli.test");
      for (const subject of ["first", "second"]) {
        const reply = await sendMessage(client, {
          from: "sender@origin.test",
          to: ["user@unreachable.test"],
          body: `Subject: ${subject}\r\n\r\nx`,
        });
        assert.equal(reply.code, 250);
      }
    }
    // Both are tried once (connection refused) and wait an hour for the next attempt.
    const ids = await eventually(async () => {
      const listed = JSON.parse(await ok("--json", "queue", "list", "--state", "queued"));
      const deferred = listed.messages.filter((m: { recipients: { status: string }[] }) =>
        m.recipients[0].status === "deferred"
      );
      return deferred.length === 2 ? deferred.map((m: { id: string }) => m.id) : undefined;
    }, 20_000);
    const [id, other] = ids as string[];

    assert.match(await ok("queue", "list"), new RegExp(`${id} +queued .*user@unreachable\\.test`));
    assert.match(await ok("queue", "view", id), /user@unreachable\.test +deferred +1/);
    assert.match(await ok("queue", "why", id), /next attempt/i);

    assert.equal(await ok("queue", "hold", id), `Held message ${id} (state held)\n`);
    const held = JSON.parse(await ok("--json", "queue", "list", "--state", "held"));
    assert.deepEqual(held.messages.map((m: { id: string }) => m.id), [id]);
    assert.match(await ok("queue", "why", id), /^Held by an operator/);
    assert.equal(await ok("queue", "release", id), `Released message ${id} (state queued)\n`);
    assert.match(await ok("queue", "retry", other), /Scheduled for retry|unchanged/);

    assert.equal(
      await ok("rate-limit", "set", "unreachable.test", "2/s", "--burst", "3"),
      "Rate limit for unreachable.test: 2/s, burst 3\n",
    );
    assert.match(await ok("rate-limit", "get"), /unreachable\.test +2\/s +3\n/);

    await ok("log-level", "set", "debug", "empath.delivery");
    assert.match(await ok("log-level", "get"), /empath\.delivery +debug/);

    const denied = await control("--token", "not-the-token", "queue", "list");
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /401|valid bearer token/);

    // Deleting with --bounce tells the sender; the bounce is delivered like any message.
    const deleted = await control("queue", "delete", "--bounce", id);
    if (deleted.code !== 0 && /being delivered/.test(deleted.stderr)) {
      // The retry above may still hold the lease: wait for the attempt to end, then delete.
      await eventually(async () => (await control("queue", "delete", "--bounce", id)).code === 0);
    } else {
      assert.equal(deleted.code, 0, deleted.stderr);
      assert.equal(deleted.stdout, `Deleted message ${id}, sender notified\n`);
    }
    const bounce = await eventually(async () => {
      try {
        const [file] = [...Deno.readDirSync(`${dir}/maildir/sender/new`)];
        return file && await Deno.readTextFile(`${dir}/maildir/sender/new/${file.name}`);
      } catch {
        return undefined;
      }
    }, 20_000);
    assert.match(bounce, /Final-Recipient: rfc822; ?user@unreachable\.test/);
    assert.match(bounce, /Deleted from the queue by the postmaster/);
    assert.match(bounce, /Subject: first|Subject: second/);

    assert.match(
      await ok("queue", "delete", "--domain", "unreachable.test", "--yes"),
      /^Deleted 1 of 1 message matching/,
    );
    await eventually(async () => JSON.parse(await ok("--json", "queue", "stats")).total === 0);

    assert.equal(await ok("config", "reload"), "Reloaded: 0 setting(s) changed\n");
  } finally {
    await proc.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
