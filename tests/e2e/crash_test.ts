import assert from "node:assert/strict";
import { openKvQueue } from "../../lib/queue/mod.ts";
import { daemonConfig } from "../support/daemon_config.ts";
import { assertQueueHolds, bodyFor } from "../support/durability.ts";
import { spawnEmpath } from "../support/process.ts";
import { TestSmtpClient } from "../support/smtp_client.ts";

const CONFIG = (dir: string) =>
  daemonConfig(dir, { hostname: "crash.empath.test" }) + `
[delivery]
enabled = false
[observe.log]
level = "info"
`;

const SIZES = [200, 5_000, 70_000, 150_000];

async function sendLoop(
  port: number,
  worker: number,
  acked: Map<string, string>,
  stop: { now: boolean },
) {
  let n = 0;
  while (!stop.now) {
    let client: TestSmtpClient | undefined;
    try {
      client = await TestSmtpClient.connect(port);
      await client.reply();
      await client.command("EHLO load.test");
      while (!stop.now) {
        const token = `w${worker}m${n++}`;
        await client.command("MAIL FROM:<load@load.test>");
        await client.command("RCPT TO:<sink@localhost>");
        await client.command("DATA");
        await client.write(bodyFor(token, SIZES[n % SIZES.length]) + "\r\n.\r\n");
        const reply = await client.reply();
        const match = /queued as (\S+)/.exec(reply.raw);
        if (reply.code === 250 && match) acked.set(match[1], token);
      }
    } catch {
      return; // the server was killed
    } finally {
      client?.close();
    }
  }
}

Deno.test("every message answered 250 survives SIGKILL at random points under load", async () => {
  const dir = await Deno.makeTempDir({ prefix: "empath-crash-" });
  const configPath = `${dir}/empath.toml`;
  await Deno.writeTextFile(configPath, CONFIG(dir));
  const acked = new Map<string, string>();
  try {
    for (let round = 0; round < 3; round++) {
      const proc = await spawnEmpath({ cwd: dir, config: configPath });
      const stop = { now: false };
      const loops = [0, 1, 2, 3, 4, 5].map((w) => sendLoop(proc.port, round * 10 + w, acked, stop));
      await new Promise((resolve) => setTimeout(resolve, 400 + Math.random() * 800));
      await proc.stop("SIGKILL");
      stop.now = true;
      await Promise.all(loops);
    }
    assert.ok(acked.size > 20, `enough messages were acknowledged (${acked.size})`);
    // Restart once more: startup must clean orphans and hold every acknowledged message.
    const proc = await spawnEmpath({ cwd: dir, config: configPath });
    assert.equal((await proc.stop("SIGTERM")).code, 0);
    await using queue = await openKvQueue(`${dir}/queue.kv`, { clock: { now: () => Date.now() } });
    assert.equal(await queue.cleanupOrphans(), 0, "startup already removed orphan chunks");
    // Messages committed just before a kill (no 250 seen) may be there too, but only complete.
    await assertQueueHolds(queue, acked);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
