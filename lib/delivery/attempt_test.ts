import assert from "node:assert/strict";
import { openMemoryQueue } from "../queue/mod.ts";
import { envelope, ManualClock, spoolMessage } from "../queue/testing.ts";
import { startSlowPeer } from "../../tests/support/slow_peer.ts";
import { eventually } from "../../tests/support/wait.ts";
import { freePort } from "../../tests/support/net.ts";
import { routedAttempt } from "./_attempt_fixture.ts";
import { RateLimiter } from "./rate_limiter.ts";

Deno.test("MessageAttempt.run() interrupted mid-delivery keeps confirmed recipients and releases the rest", async () => {
  // The first copy is confirmed at once; the second waits for a reply that never comes.
  await using peer = startSlowPeer({ delayMs: ({ seen }) => seen === 0 ? 0 : 60_000 });
  const clock = new ManualClock();
  await using queue = openMemoryQueue({ clock });
  const id = await spoolMessage(queue, new TextEncoder().encode("Subject: x\r\n\r\nbody\r\n"), {
    envelope: envelope({ recipients: ["a@first.test", "b@second.test"] }),
  });
  const interruption = new AbortController();
  await using fixture = routedAttempt(queue, clock, {
    domains: ["first.test", "second.test"],
    port: peer.port,
    retrySchedule: [3_600_000],
    interrupted: interruption.signal,
  });

  const running = fixture.start(id);
  await eventually(() => Promise.resolve(peer.messages[1]?.state === "pending"));
  clock.advance(5_000);
  interruption.abort();
  await running;
  await fixture.pool.close();

  await eventually(() => Promise.resolve(peer.messages[1].state !== "pending"));
  assert.deepEqual(peer.messages.map((m) => m.state), ["confirmed", "cut"]);
  const after = (await queue.get(id))!;
  assert.equal(after.lease, undefined, "the lease is given back");
  assert.equal(after.nextAttemptAt, clock.now(), "due again at once");
  const [first, second] = after.recipients;
  assert.equal(first.status, "delivered");
  assert.equal(second.status, "pending", "not deferred: the cut is not the receiver's answer");
  assert.equal(second.attempts, 0);
});

Deno.test("MessageAttempt.run() postponed by the rate limit counts no attempt, so a later 4xx waits the first retry step", async () => {
  const clock = new ManualClock();
  await using queue = openMemoryQueue({ clock });
  const id = await spoolMessage(queue, new TextEncoder().encode("Subject: x\r\n\r\nbody\r\n"), {
    envelope: envelope({ recipients: ["a@later.test"] }),
  });
  const limiter = new RateLimiter({ clock, defaults: { ratePerSecond: 1, burst: 1 } });
  assert.deepEqual(limiter.take("later.test"), { allowed: true }, "another message took the token");
  await using fixture = routedAttempt(queue, clock, {
    domains: ["later.test"],
    port: freePort(),
    retrySchedule: [60_000, 3_600_000],
    limiter,
  });

  const postponed = await fixture.run(id);
  assert.equal(postponed.attempts, 0, "waiting for a token is not an attempt");
  assert.equal(postponed.nextAttemptAt, clock.now() + 1000, "due when the next token is");
  assert.deepEqual(
    postponed.recipients.map((r) => [r.status, r.attempts]),
    [["pending", 0]],
  );
  clock.advance(1000);
  const deferred = await fixture.run(id);
  assert.equal(deferred.attempts, 1);
  assert.deepEqual(deferred.recipients.map((r) => [r.status, r.attempts]), [["deferred", 1]]);
  assert.equal(deferred.nextAttemptAt, clock.now() + 60_000, "the first step of the schedule");
});
