import assert from "node:assert/strict";
import { openKvQueue, type QueueStore } from "../queue/mod.ts";
import { envelope, ManualClock, spoolMessage } from "../queue/testing.ts";
import { freePort } from "../../tests/support/net.ts";
import { routedAttempt } from "./_attempt_fixture.ts";

const HOUR = 3_600_000;

/** A delivery attempt as the engine builds it, with `[queue] delay_warning = "4h"`. */
function attemptFor(queue: QueueStore, clock: ManualClock, port: number) {
  return routedAttempt(queue, clock, {
    domains: ["late.test"],
    port,
    retrySchedule: [HOUR],
    delayWarningMs: 4 * HOUR,
  });
}

async function spool(queue: QueueStore, reversePath: string): Promise<string> {
  return await spoolMessage(queue, new TextEncoder().encode("Subject: late\r\n\r\nbody\r\n"), {
    envelope: envelope({ reversePath, recipients: ["rcpt@late.test"] }),
  });
}

Deno.test("MessageAttempt.run() sends one delay warning once delay_warning has passed, never a second, not after a restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "empath-delay-" });
  const clock = new ManualClock();
  const port = freePort();
  try {
    let queue = await openKvQueue(`${dir}/queue.kv`, { clock });
    const id = await spool(queue, "alice@example.test");
    {
      await using attempt = attemptFor(queue, clock, port);
      const first = await attempt.run(id);
      assert.equal(first.recipients[0].status, "deferred");
      assert.equal(first.delayWarnedAt, undefined, "not before delay_warning");
      assert.equal(attempt.queued.length, 0);

      clock.advance(4 * HOUR);
      const warned = await attempt.run(id);
      assert.equal(warned.recipients[0].status, "deferred", "the message stays queued");
      assert.equal(warned.delayWarnedAt, clock.now(), "the record says the warning was sent");
      assert.equal(attempt.queued.length, 1);
      assert.equal(attempt.queued[0].action, "delayed");
      const dsn = (await queue.get(attempt.queued[0].id))!;
      assert.equal(dsn.reversePath, "");
      assert.deepEqual(dsn.recipients.map((r) => r.address), ["alice@example.test"]);
      const body = await new Response(queue.readBody(dsn.id)).text();
      assert.match(body, /\r\nFinal-Recipient: rfc822; rcpt@late\.test\r\nAction: delayed\r\n/);
      assert.match(body, /\r\nStatus: 4\.\d+\.\d+\r\n/);

      clock.advance(HOUR);
      await attempt.run(id);
      assert.equal(attempt.queued.length, 1, "no second warning on the next attempt");
    }
    await queue.close();

    queue = await openKvQueue(`${dir}/queue.kv`, { clock });
    await using restarted = attemptFor(queue, clock, port);
    clock.advance(HOUR);
    const after = await restarted.run(id);
    assert.equal(after.recipients[0].status, "deferred");
    assert.equal(restarted.queued.length, 0, "no second warning after a restart");
    assert.equal(await queue.count(), 2, "the original and the one warning");
    await queue.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("MessageAttempt.run() never sends a delay warning about a message from the null sender", async () => {
  const dir = await Deno.makeTempDir({ prefix: "empath-delay-" });
  const clock = new ManualClock();
  try {
    const queue = await openKvQueue(`${dir}/queue.kv`, { clock });
    const id = await spool(queue, "");
    {
      await using attempt = attemptFor(queue, clock, freePort());
      await attempt.run(id);
      clock.advance(5 * HOUR);
      const late = await attempt.run(id);
      assert.equal(late.recipients[0].status, "deferred");
      assert.equal(late.delayWarnedAt, undefined);
      assert.equal(attempt.queued.length, 0);
      assert.equal(await queue.count(), 1, "only the message itself");
    }
    await queue.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
