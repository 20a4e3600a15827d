import assert from "node:assert/strict";
import { openMemoryQueue, type QueuedMessage } from "../queue/mod.ts";
import { ManualClock, spoolMessage } from "../queue/testing.ts";
import { Scheduler } from "./scheduler.ts";

const OPTIONS = { concurrency: 4, leaseMs: 600_000, owner: "test" };

Deno.test("Scheduler.stop() reports a delivery that outlives the grace period; settled() waits for it", async () => {
  const clock = new ManualClock();
  await using queue = openMemoryQueue({ clock });
  await spoolMessage(queue, new TextEncoder().encode("body"));
  const release = Promise.withResolvers<void>();
  const started = Promise.withResolvers<QueuedMessage>();
  const scheduler = new Scheduler(
    queue,
    (message) => {
      started.resolve(message);
      return release.promise;
    },
    OPTIONS,
    () => clock.now(),
  );
  scheduler.start();
  const leased = await started.promise;
  assert.equal(leased.lease?.owner, "test");
  assert.equal(await scheduler.stop(20), false);
  assert.equal(scheduler.inFlight, 1);
  assert.equal(await scheduler.settled(20), false);
  release.resolve();
  assert.equal(await scheduler.settled(1000), true);
  assert.equal(scheduler.inFlight, 0);
});

Deno.test("Scheduler.stop() gives back a lease taken while it was stopping", async () => {
  const clock = new ManualClock();
  await using queue = openMemoryQueue({ clock });
  const id = await spoolMessage(queue, new TextEncoder().encode("body"));
  const before = await queue.get(id);
  let ran = 0;
  const scheduler = new Scheduler(
    queue,
    () => Promise.resolve(void ran++),
    OPTIONS,
    () => clock.now(),
  );
  // The loop is reading the due index when the stop comes, and leases what it read.
  scheduler.start();
  assert.equal(await scheduler.stop(1000), true);
  assert.equal(ran, 0);
  const after = await queue.get(id);
  assert.equal(after?.lease, undefined, "no lease left to expire");
  assert.equal(after?.nextAttemptAt, before?.nextAttemptAt, "due as before");
  assert.equal(after?.revision, (before?.revision ?? 0) + 2, "leased, then released");
});
