import assert from "node:assert/strict";
import { openKvQueue } from "../../lib/queue/mod.ts";
import { daemonConfig } from "../support/daemon_config.ts";
import { assertQueueHolds, bodyFor } from "../support/durability.ts";
import { queuedId } from "../support/empath.ts";
import { type EmpathProcess, spawnEmpath } from "../support/process.ts";
import { TestSmtpClient } from "../support/smtp_client.ts";
import { eventually } from "../support/wait.ts";

const HOSTNAME = "lifecycle.empath.test";
const SHUTTING_DOWN_REGEXP = new RegExp(`^421 4\\.3\\.2 ${HOSTNAME.replaceAll(".", "\\.")} `);

const CONFIG = (dir: string, grace: string) =>
  daemonConfig(dir, { hostname: HOSTNAME, shutdownGrace: grace }) + `
[delivery]
enabled = false
`;

const SIZES = [300, 8_000, 90_000, 200_000];

/** What the clients saw: acknowledged messages, and how each session ended. */
interface Traffic {
  readonly acked: Map<string, string>;
  readonly endings: string[];
  stop: boolean;
}

/** One client sending messages back to back until the server says goodbye. */
async function sendLoop(port: number, worker: number, traffic: Traffic): Promise<void> {
  let client: TestSmtpClient | undefined;
  try {
    client = await TestSmtpClient.connect(port);
    await client.reply();
    await client.command("EHLO load.test");
    for (let n = 0; !traffic.stop; n++) {
      const token = `w${worker}m${n}`;
      const mail = await client.command("MAIL FROM:<load@load.test>");
      if (mail.code !== 250) return void traffic.endings.push(mail.raw);
      await client.command("RCPT TO:<sink@localhost>");
      const data = await client.command("DATA");
      if (data.code !== 354) return void traffic.endings.push(data.raw);
      await client.write(bodyFor(token, SIZES[(worker + n) % SIZES.length]) + "\r\n.\r\n");
      const reply = await client.reply();
      if (reply.code !== 250) return void traffic.endings.push(reply.raw);
      traffic.acked.set(queuedId(reply), token);
    }
    traffic.endings.push("stopped by the test");
  } catch (error) {
    traffic.endings.push(`error: ${error instanceof Error ? error.message : error}`);
  } finally {
    client?.close();
  }
}

/** A client that stops halfway through a message body. */
async function stalledInData(port: number): Promise<TestSmtpClient> {
  const client = await TestSmtpClient.connect(port);
  await client.reply();
  await client.command("EHLO stall.test");
  await client.command("MAIL FROM:<stall@load.test>");
  await client.command("RCPT TO:<sink@localhost>");
  assert.equal((await client.command("DATA")).code, 354);
  await client.write("Subject: stalled\r\n\r\nhalf a message\r\n");
  return client;
}

const logged = (proc: EmpathProcess, prefix: string) =>
  eventually(() => Promise.resolve(proc.logs.some((l) => String(l.message).startsWith(prefix))));

Deno.test("SIGTERM under traffic: transactions finish, new clients get 421 4.3.2, exit 0 within the grace, every 250 is queued", async () => {
  const dir = await Deno.makeTempDir({ prefix: "empath-shutdown-" });
  const configPath = `${dir}/empath.toml`;
  await Deno.writeTextFile(configPath, CONFIG(dir, "3s"));
  const traffic: Traffic = { acked: new Map(), endings: [], stop: false };
  try {
    const proc = await spawnEmpath({ cwd: dir, config: configPath });
    const loops = Array.from({ length: 6 }, (_, worker) => sendLoop(proc.port, worker, traffic));
    await using stalled = await stalledInData(proc.port);
    await eventually(() => Promise.resolve(traffic.acked.size >= 30));

    const signalledAt = performance.now();
    proc.child.kill("SIGTERM");
    await logged(proc, "Stopping on SIGTERM");
    // Connections made after the signal are answered, not refused.
    for (let i = 0; i < 3; i++) {
      await using late = await TestSmtpClient.connect(proc.port);
      assert.match((await late.reply()).raw, SHUTTING_DOWN_REGEXP);
      assert.ok(await late.closedByServer());
    }
    await Promise.all(loops);
    assert.equal(traffic.endings.length, 6);
    for (const ending of traffic.endings) assert.match(ending, SHUTTING_DOWN_REGEXP);
    // The stalled transaction keeps its session for the grace period, then is cut.
    assert.match((await stalled.reply(10_000)).raw, SHUTTING_DOWN_REGEXP);
    assert.ok(performance.now() - signalledAt >= 2_900, "the stalled transaction had its grace");

    const status = await proc.child.status;
    const elapsed = performance.now() - signalledAt;
    assert.equal(status.code, 0);
    assert.ok(elapsed < 3_000 + 4_000, `exited ${Math.round(elapsed)} ms after SIGTERM`);
    assert.ok(proc.logs.some((l) => l.message === "Empath stopped"));

    await using queue = await openKvQueue(`${dir}/queue.kv`, { clock: { now: () => Date.now() } });
    assert.equal(await queue.cleanupOrphans(), 0, "the cut transaction's spool was removed");
    // A graceful stop queues exactly what was acknowledged: no 250 was lost, none withheld.
    assert.equal(await assertQueueHolds(queue, traffic.acked), traffic.acked.size);
  } finally {
    traffic.stop = true;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("a second SIGTERM exits at once with 130 and every acknowledged message survives", async () => {
  const dir = await Deno.makeTempDir({ prefix: "empath-forced-" });
  const configPath = `${dir}/empath.toml`;
  await Deno.writeTextFile(configPath, CONFIG(dir, "60s"));
  const traffic: Traffic = { acked: new Map(), endings: [], stop: false };
  try {
    const proc = await spawnEmpath({ cwd: dir, config: configPath });
    const loops = Array.from({ length: 6 }, (_, worker) => sendLoop(proc.port, worker, traffic));
    // Holds the graceful stop for its whole 60 s grace period.
    await using _stalled = await stalledInData(proc.port);
    await eventually(() => Promise.resolve(traffic.acked.size >= 30));

    proc.child.kill("SIGTERM");
    await logged(proc, "Stopping on SIGTERM");
    const forcedAt = performance.now();
    proc.child.kill("SIGTERM");
    const status = await proc.child.status;
    const elapsed = performance.now() - forcedAt;
    assert.equal(status.code, 130);
    assert.ok(elapsed < 2_000, `exited ${Math.round(elapsed)} ms after the second signal`);
    await logged(proc, "Exiting at once on a second SIGTERM");
    traffic.stop = true;
    await Promise.all(loops);

    // The next start removes what the cut transaction left and keeps every committed message.
    const again = await spawnEmpath({ cwd: dir, config: configPath });
    assert.equal((await again.stop("SIGTERM")).code, 0);
    await using queue = await openKvQueue(`${dir}/queue.kv`, { clock: { now: () => Date.now() } });
    assert.equal(await queue.cleanupOrphans(), 0, "the restart removed orphan chunks");
    assert.ok(await assertQueueHolds(queue, traffic.acked) >= traffic.acked.size);
  } finally {
    traffic.stop = true;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
