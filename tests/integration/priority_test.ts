import assert from "node:assert/strict";
import { startTestEmpath } from "../support/empath.ts";
import { startSlowPeer } from "../support/slow_peer.ts";
import { eventually } from "../support/wait.ts";

const BACKLOG = 1_000;
const encoder = new TextEncoder();

Deno.test("an urgent message overtakes a backlog of 1,000 low-priority messages to a slow peer", async () => {
  await using peer = startSlowPeer({ delayMs: () => 20 });
  await using instance = await startTestEmpath((config) => {
    config.delivery.enabled = true;
    config.delivery.concurrency = 2;
    config.delivery.defaults.rate = 100_000;
    config.delivery.defaults.burst = 100_000;
    config.routes.push({
      domains: ["slow.test"],
      kind: "smtp",
      to: `127.0.0.1:${peer.port}`,
      tls: "disabled",
      verifyCertificates: false,
    });
  });
  const { queue, delivery } = instance.empath;
  const spool = async (subject: string, priority: number) => {
    const writer = queue.createSpool();
    await writer.write(encoder.encode(`Subject: ${subject}\r\n\r\nx\r\n`));
    await writer.commit({
      reversePath: "app@origin.test",
      recipients: ["user@slow.test"],
      receivedFrom: { ip: "127.0.0.1", helo: "test" },
      priority,
    });
  };
  // The backlog is committed concurrently (the queue's group commit), 50 at a time.
  for (let start = 0; start < BACKLOG; start += 50) {
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => spool(`bulk ${start + i}`, 1)),
    );
  }
  delivery.wake();
  await eventually(() => Promise.resolve(peer.messages.length >= 10), 30_000);

  const before = peer.messages.length;
  await spool("urgent", 9);
  delivery.wake();
  const position = await eventually(() => {
    const index = peer.messages.findIndex((message) => message.body.includes("Subject: urgent"));
    return Promise.resolve(index < 0 ? undefined : index);
  }, 30_000);

  // It went out within the next few slots (the two in flight, at most one slot by age), long
  // before the backlog drained.
  assert.ok(position < before + 8, `urgent message was #${position}, injected after #${before}`);
  assert.ok(position < BACKLOG / 2, `urgent message was #${position} of ${BACKLOG + 1}`);
  const waiting = await queue.count();
  assert.ok(waiting > BACKLOG / 2, `${waiting} backlog messages still queued`);
  // Nothing is starved: the low-priority mail kept flowing too.
  const bulkDelivered = peer.messages.filter((message) => message.body.includes("Subject: bulk"));
  assert.ok(bulkDelivered.length >= 10);
});
