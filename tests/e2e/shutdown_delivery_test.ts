import assert from "node:assert/strict";
import { openKvQueue } from "../../lib/queue/mod.ts";
import { daemonConfig, smtpRoute } from "../support/daemon_config.ts";
import { spawnEmpath } from "../support/process.ts";
import { type SlowPeerMessage, startSlowPeer } from "../support/slow_peer.ts";
import { sendMessage, TestSmtpClient } from "../support/smtp_client.ts";
import { eventually } from "../support/wait.ts";

// Two deliveries outlast the grace period (the peer holds its reply for 60 s the first time),
// three finish inside it (1.5 s), three more wait in the queue. Concurrency 5 keeps the
// waiting ones out of delivery, so no delivery starts or ends near the moment of the cut.
const SLOW = ["slow-1", "slow-2"];
const MID = ["mid-1", "mid-2", "mid-3"];
const QUEUED = ["queued-1", "queued-2", "queued-3"];

// A deferral would wait an hour and a kept lease ten minutes: the restart below
// delivers at once only because the interrupted deliveries were released.
const config = (dir: string, peerPort: number) =>
  daemonConfig(dir, { hostname: "stop.empath.test", shutdownGrace: "3s", retry: ["1h"] }) + `
[delivery]
concurrency = 5
lease_time = "10m"
[delivery.defaults]
rate = "1000/s"
burst = 1000
` + smtpRoute(["peer.test"], `127.0.0.1:${peerPort}`, { tls: "disabled" });

function delayMs({ body, seen }: { body: string; seen: number }): number {
  if (seen > 0) return 0;
  if (body.includes("slow-")) return 60_000;
  return body.includes("mid-") ? 1_500 : 0;
}

const tokenOf = (message: SlowPeerMessage) => /(slow|mid|queued)-\d/.exec(message.body)?.[0];
const copies = (messages: readonly SlowPeerMessage[], token: string, state?: string) =>
  messages.filter((m) => tokenOf(m) === token && (state === undefined || m.state === state))
    .length;

Deno.test("SIGTERM during deliveries: confirmed ones are not sent again, cut ones are released and sent after restart", async () => {
  await using peer = startSlowPeer({ delayMs });
  const dir = await Deno.makeTempDir({ prefix: "empath-stopdelivery-" });
  const configPath = `${dir}/empath.toml`;
  await Deno.writeTextFile(configPath, config(dir, peer.port));
  try {
    const first = await spawnEmpath({ cwd: dir, config: configPath });
    {
      await using client = await TestSmtpClient.connect(first.port);
      await client.reply();
      await client.command("EHLO submit.test");
      for (const token of [...SLOW, ...MID, ...QUEUED]) {
        const reply = await sendMessage(client, {
          from: "sender@origin.test",
          to: ["rcpt@peer.test"],
          body: `Subject: ${token}\r\n\r\n${token}`,
        });
        assert.equal(reply.code, 250, reply.raw);
      }
    }
    // Five deliveries are waiting for the peer's reply.
    await eventually(() =>
      Promise.resolve(peer.messages.filter((m) => m.state === "pending").length === 5)
    );
    assert.deepEqual(peer.messages.map(tokenOf).sort(), [...MID, ...SLOW].sort());
    const signalledAt = performance.now();
    const status = await first.stop("SIGTERM");
    const elapsed = performance.now() - signalledAt;
    assert.equal(status.code, 0);
    assert.ok(elapsed >= 2_900 && elapsed < 3_000 + 6_000, `stopped after ${elapsed} ms`);
    for (const token of MID) assert.equal(copies(peer.messages, token, "confirmed"), 1, token);
    for (const token of SLOW) assert.equal(copies(peer.messages, token, "cut"), 1, token);
    assert.ok(first.logs.some((l) => String(l.message).startsWith("Interrupting 2 deliveries")));

    const second = await spawnEmpath({ cwd: dir, config: configPath });
    const all = [...SLOW, ...MID, ...QUEUED];
    await eventually(
      () => Promise.resolve(all.every((token) => copies(peer.messages, token, "confirmed") >= 1)),
      15_000,
    );
    assert.equal((await second.stop("SIGTERM")).code, 0);
    for (const token of all) {
      assert.equal(copies(peer.messages, token, "confirmed"), 1, `${token} confirmed once`);
    }
    for (const token of MID) assert.equal(copies(peer.messages, token), 1, `${token} sent once`);
    await using queue = await openKvQueue(`${dir}/queue.kv`, { clock: { now: () => Date.now() } });
    assert.equal(await queue.count(), 0, "the queue ends empty");
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
