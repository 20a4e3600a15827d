// A rate limit changed with `empath control rate-limit set` is in effect, not only shown: the real
// daemon and the real CLI, and a receiving peer in this test that notes when each message arrives.
import assert from "node:assert/strict";
import { controlCli } from "../support/cli.ts";
import { daemonConfig, smtpRoute } from "../support/daemon_config.ts";
import { queuedId } from "../support/empath.ts";
import { freePort } from "../support/net.ts";
import { spawnEmpath } from "../support/process.ts";
import { startSlowPeer } from "../support/slow_peer.ts";
import { sendMessage, TestSmtpClient } from "../support/smtp_client.ts";
import { eventually } from "../support/wait.ts";

const CONFIG = (dir: string, controlPort: number, peerPort: number) =>
  daemonConfig(dir, { hostname: "rate.empath.test", controlPort, retry: ["1h"] }) +
  smtpRoute(["rated.test", "waiting.test"], `127.0.0.1:${peerPort}`, { tls: "disabled" });

/** Sends one message to `to` per subject over one SMTP session; returns the queue ids. */
async function send(port: number, to: string, subjects: string[]): Promise<string[]> {
  await using client = await TestSmtpClient.connect(port);
  await client.reply();
  await client.command("EHLO rate.client.test");
  const ids: string[] = [];
  for (const subject of subjects) {
    ids.push(queuedId(
      await sendMessage(client, {
        from: "sender@origin.test",
        to: [to],
        body: `Subject: ${subject}\r\n\r\nx`,
      }),
    ));
  }
  await client.command("QUIT");
  return ids;
}

interface ListedMessage {
  id: string;
  nextAttemptAt: number;
}

Deno.test("empath control rate-limit set slows delivery to the rate it sets, and raising it lets the waiting mail through", async () => {
  await using peer = startSlowPeer({ delayMs: () => 0 });
  const dir = await Deno.makeTempDir({ prefix: "empath-rate-limit-" });
  const config = `${dir}/empath.toml`;
  await Deno.writeTextFile(config, CONFIG(dir, freePort(), peer.port));
  const daemon = await spawnEmpath({ cwd: dir, config });
  const { ok: control } = controlCli(config, { cwd: dir });
  const arrived = (subject: string) =>
    peer.messages.filter((message) => message.body.includes(`Subject: ${subject}`));

  try {
    // One delivery per second, none saved up: the default (10/s, burst 20) would send at once.
    assert.equal(
      await control("rate-limit", "set", "rated.test", "1/s", "--burst", "1"),
      "Rate limit for rated.test: 1/s, burst 1\n",
    );
    // Every delivery takes a token after this moment, and the k-th token comes k seconds after
    // the first: a lower bound set by the limiter, whatever the speed of the machine.
    const sentAt = Date.now();
    await send(daemon.port, "user@rated.test", ["slow 1", "slow 2", "slow 3", "slow 4"]);
    const slow = await eventually(
      () => Promise.resolve(arrived("slow").length === 4 ? arrived("slow") : undefined),
      60_000,
    );
    const arrivals = slow.map((message) => message.receivedAt).sort((a, b) => a - b);
    for (let k = 1; k < arrivals.length; k++) {
      assert.ok(
        arrivals[k] - sentAt >= k * 1000,
        `message ${k + 1} arrived ${arrivals[k] - sentAt} ms after sending, before its token`,
      );
    }

    // One an hour for another domain: its one token goes at once, the rest waits, and says why.
    assert.equal(
      await control("rate-limit", "set", "waiting.test", "1/h", "--burst", "1"),
      "Rate limit for waiting.test: 1/h, burst 1\n",
    );
    const ids = await send(daemon.port, "user@waiting.test", ["held 1", "held 2", "held 3"]);
    const waiting = await eventually(async () => {
      const listed = JSON.parse(await control("--json", "queue", "list"));
      const postponed = (listed.messages as ListedMessage[]).filter((message) =>
        ids.includes(message.id) && message.nextAttemptAt > Date.now() + 30 * 60_000
      );
      return postponed.length === 2 ? postponed : undefined;
    }, 60_000);
    assert.equal(arrived("held").length, 1, "the bucket's one token");
    const [first] = waiting;
    assert.match(
      await control("queue", "why", first.id),
      /^Rate limited: waiting\.test allows 1\/h \(burst 1\); next attempt at /,
    );
    // Waiting for a token is not an attempt: nothing was sent, nothing counts against the retries.
    const view = JSON.parse(await control("--json", "queue", "view", first.id));
    assert.equal(view.attempts, 0, "the message was never attempted");
    assert.deepEqual(
      view.recipients.map((r: { status: string; attempts: number }) => [r.status, r.attempts]),
      [["pending", 0]],
    );

    // Raised: the mail that only waited for the old limit (never tried) is due at once, and the
    // new limit lets all of it through without a retry.
    assert.equal(
      await control("rate-limit", "set", "waiting.test", "100/s", "--burst", "100"),
      "Rate limit for waiting.test: 100/s, burst 100\n" +
        "2 message(s) that waited for the old limit are due now\n",
    );
    assert.match(await control("rate-limit", "get"), /waiting\.test +100\/s +100\n/);
    await eventually(() => Promise.resolve(arrived("held").length === 3), 60_000);
    assert.equal(peer.messages.length, 7, "every message delivered once");
    await eventually(async () => {
      const listed = JSON.parse(await control("--json", "queue", "list"));
      return listed.messages.length === 0;
    }, 30_000);
  } finally {
    assert.equal((await daemon.stop("SIGTERM")).code, 0);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
