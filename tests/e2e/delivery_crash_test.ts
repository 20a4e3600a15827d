import assert from "node:assert/strict";
import { openKvQueue } from "../../lib/queue/mod.ts";
import { daemonConfig, smtpRoute } from "../support/daemon_config.ts";
import { skipWithout } from "../support/peers.ts";
import { controlApi, spawnEmpath } from "../support/process.ts";
import { startAiosmtpd } from "../support/sink.ts";
import { TestSmtpClient } from "../support/smtp_client.ts";

const IGNORE = skipWithout("python3", "python3-aiosmtpd");
const TOTAL = 500;

const config = (dir: string, sinkPort: number) =>
  daemonConfig(dir, { hostname: "crash.empath.test", retry: ["200ms"] }) + `
[delivery]
lease_time = "1s"
concurrency = 16
[delivery.defaults]
rate = "100000/s"
burst = 100000
[observe.log]
level = "warning"
` + smtpRoute(["sink.test"], `127.0.0.1:${sinkPort}`);

async function submitAll(port: number, tokens: string[]): Promise<void> {
  const perClient = Math.ceil(tokens.length / 10);
  await Promise.all(Array.from({ length: 10 }, async (_, c) => {
    await using client = await TestSmtpClient.connect(port);
    await client.reply();
    await client.command("EHLO load.test");
    for (const token of tokens.slice(c * perClient, (c + 1) * perClient)) {
      await client.command("MAIL FROM:<load@origin.test>");
      await client.command("RCPT TO:<rcpt@sink.test>");
      await client.command("DATA");
      await client.write(`Subject: ${token}\r\n\r\n${token}\r\n.\r\n`);
      assert.equal((await client.reply()).code, 250);
    }
  }));
}

Deno.test({
  name:
    "SIGKILL during delivery of 500 messages: after restart every message reaches the peer and the queue empties",
  ignore: IGNORE,
  async fn() {
    await using sink = await startAiosmtpd();
    const dir = await Deno.makeTempDir({ prefix: "empath-dcrash-" });
    const configPath = `${dir}/empath.toml`;
    await Deno.writeTextFile(configPath, config(dir, sink.port));
    const tokens = Array.from({ length: TOTAL }, (_, i) => `token-${i}-${crypto.randomUUID()}`);
    try {
      const first = await spawnEmpath({
        cwd: dir,
        config: configPath,
        args: ["--log-level", "info"],
      });
      const submitted = submitAll(first.port, tokens);
      // Kill while deliveries are in flight: after some, before all, reached the peer.
      const deadline = Date.now() + 20_000;
      while ((await sink.messages()).length < 50 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await submitted;
      await first.stop("SIGKILL");
      const beforeRestart = (await sink.messages()).length;
      assert.ok(beforeRestart < TOTAL, `killed mid-delivery (${beforeRestart} delivered)`);

      const second = await spawnEmpath({
        cwd: dir,
        config: configPath,
        args: ["--log-level", "info"],
      });
      // Messages the peer took just before the kill are still leased in the queue: they are
      // sent again once their lease expires, so wait for the queue to drain as well.
      const { url, token } = await controlApi(second, `${dir}/control.token`);
      const queued = async () => {
        const response = await fetch(`${url}/v1/queue/stats`, {
          headers: { authorization: `Bearer ${token}` },
        });
        return (await response.json()).total as number;
      };
      const received = new Set<string>();
      const until = Date.now() + 60_000;
      while ((received.size < TOTAL || await queued() > 0) && Date.now() < until) {
        for (const message of await sink.messages()) {
          received.add(/token-\d+-[0-9a-f-]+/.exec(new TextDecoder().decode(message.data))![0]);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal((await second.stop("SIGTERM")).code, 0);
      const missing = tokens.filter((token) => !received.has(token));
      assert.deepEqual(missing, [], "every message reached the peer at least once");
      await using queue = await openKvQueue(`${dir}/queue.kv`, {
        clock: { now: () => Date.now() },
      });
      assert.equal(await queue.count(), 0, "the queue ends empty");
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
