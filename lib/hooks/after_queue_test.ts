import assert from "node:assert/strict";
import { openMemoryQueue, type QueueStore } from "../queue/mod.ts";
import { envelope, ManualClock } from "../queue/testing.ts";
import {
  AfterQueueWorker,
  deliveryResultInput,
  dispatchAfterQueue,
  HOOK_TASK_KIND,
  hookTasks,
} from "./after_queue.ts";
import { HookSet, type LoadedHook } from "./hook_set.ts";
import { storableContext } from "./context.ts";
import { captureLogs, ENVELOPE, inlineHook, SESSION } from "./testing.ts";
import type { DeliveryResultInput, Hooks } from "./types.ts";

/** Resolves once `condition()` holds, polling every 5 ms for up to 3 s. */
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!await condition()) {
    if (Date.now() > deadline) throw new Error("Condition not met within 3 s");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface Fixture {
  readonly queue: QueueStore;
  readonly clock: ManualClock;
  readonly worker: AfterQueueWorker;
  readonly hooks: { current: HookSet };
}

async function withWorker(hooks: LoadedHook[], run: (f: Fixture) => Promise<void>) {
  const clock = new ManualClock();
  const queue = openMemoryQueue({ clock: { now: () => clock.now() } });
  const current = { current: new HookSet(hooks) };
  const worker = new AfterQueueWorker({
    queue,
    hooks: () => current.current,
    now: () => clock.now(),
    settings: () => ({ retry: [1000, 5000], maxAttempts: 3 }),
    pollMs: 5,
  });
  worker.start();
  try {
    await run({ queue, clock, worker, hooks: current });
  } finally {
    await worker.stop();
    await queue.close();
  }
}

const QUEUED_INPUT = { session: SESSION, envelope: { ...ENVELOPE, messageId: "M1" }, context: {} };

Deno.test("AfterQueueWorker runs a task committed with the message once, then removes it", async () => {
  const seen: unknown[] = [];
  const hook = inlineHook({
    onQueued: (input) => void seen.push([input.envelope.messageId, Object.isFrozen(input.context)]),
  }, { afterQueue: true, path: "notify.ts" });
  await withWorker([hook], async ({ queue, clock, worker }) => {
    const tasks = hookTasks(new HookSet([hook]), "onQueued", QUEUED_INPUT);
    assert.deepEqual(tasks.map((task) => [task.kind, task.payload.hook]), [
      [HOOK_TASK_KIND, "notify.ts"],
    ]);
    const spool = queue.createSpool();
    await spool.write(new Uint8Array([104, 105]));
    await spool.commit(envelope({ tasks }));
    worker.wake();
    await until(() => seen.length === 1);
    await until(async () => (await queue.dueTasks(clock.now() + 1e9, 10)).length === 0);
    assert.deepEqual(seen, [["M1", true]]);
  });
});

Deno.test("AfterQueueWorker retries a failing hook with backoff and gives up after max_attempts", async () => {
  let calls = 0;
  const hook = inlineHook({
    onQueued: () => {
      calls++;
      throw new Error("webhook answered 503");
    },
  }, { afterQueue: true, path: "webhook.ts" });
  const logs = await captureLogs(() =>
    withWorker([hook], async ({ queue, clock, worker }) => {
      await queue.addTasks(hookTasks(new HookSet([hook]), "onQueued", QUEUED_INPUT));
      worker.wake();
      await until(() => calls === 1);
      await until(async () => (await queue.dueTasks(clock.now() + 999, 10)).length === 0);
      const [retried] = await queue.dueTasks(clock.now() + 1000, 10);
      assert.equal(retried.attempts, 1, "due again after the first delay");
      clock.advance(1000);
      await until(() => calls === 2);
      await until(async () => (await queue.dueTasks(clock.now() + 5000, 10))[0]?.attempts === 2);
      clock.advance(5000);
      await until(() => calls === 3);
      await until(async () => (await queue.dueTasks(clock.now() + 1e9, 10)).length === 0);
    })
  );
  const errors = logs.filter((log) => log.level === "error").map((log) => log.message);
  assert.equal(errors.filter((m) => String(m).includes("webhook answered 503")).length, 3);
  assert.ok(errors.some((m) => String(m).includes("given up after 3 tries")), errors.join("\n"));
});

Deno.test("AfterQueueWorker drops a task whose hook is no longer configured", async () => {
  const hook = inlineHook({ onQueued: () => {} }, { afterQueue: true, path: "gone.ts" });
  const logs = await captureLogs(() =>
    withWorker([], async ({ queue, clock, worker }) => {
      await queue.addTasks(hookTasks(new HookSet([hook]), "onQueued", QUEUED_INPUT));
      worker.wake();
      await until(async () => (await queue.dueTasks(clock.now() + 1e9, 10)).length === 0);
    })
  );
  assert.match(JSON.stringify(logs), /no longer runs/);
});

Deno.test("AfterQueueWorker.stop() abandons a hung hook and leaves its task for the next start", async () => {
  let started = false;
  const hook = inlineHook({
    onQueued: () => {
      started = true;
      return new Promise(() => {});
    },
  }, { afterQueue: true, timeoutMs: 60_000, path: "hung.ts" });
  const clock = new ManualClock();
  const queue = openMemoryQueue({ clock: { now: () => clock.now() } });
  const worker = new AfterQueueWorker({
    queue,
    hooks: () => new HookSet([hook]),
    now: () => clock.now(),
    settings: () => ({ retry: [1000], maxAttempts: 3 }),
    pollMs: 5,
  });
  await queue.addTasks(hookTasks(new HookSet([hook]), "onQueued", QUEUED_INPUT));
  worker.start();
  await until(() => started);
  await worker.stop();
  const left = await queue.dueTasks(clock.now(), 10);
  assert.deepEqual(left.map((task) => task.attempts), [0], "untouched, due at once");
  await queue.close();
});

Deno.test("the context stored with a message reaches onDeliveryResult, sync and after_queue", async () => {
  const seen: DeliveryResultInput[] = [];
  const module: Hooks = { onDeliveryResult: (input) => void seen.push(input) };
  const hooks = [
    inlineHook(module, { path: "sync.ts" }),
    inlineHook(module, { path: "durable.ts", afterQueue: true }),
  ];
  await withWorker(hooks, async ({ queue, worker }) => {
    const context = { score: 3.5, listed: false, tags: ["x"] as never };
    const spool = queue.createSpool();
    await spool.write(new Uint8Array([104, 105]));
    let hookContext;
    const logs = await captureLogs(() => {
      hookContext = storableContext(context, spool.id);
      return Promise.resolve();
    });
    assert.match(JSON.stringify(logs), /"key":"tags"/, "the list is dropped with an error");
    const committed = await spool.commit(envelope({ hookContext }));
    const stored = (await queue.get(committed.id))!;
    assert.deepEqual(stored.hookContext, { score: 3.5, listed: false });
    const input = deliveryResultInput(stored, [
      {
        recipient: "rcpt@example.org",
        status: "delivered",
        reply: { code: 250, text: "ok" },
        attempt: 1,
      },
    ]);
    await dispatchAfterQueue(
      { hooks: new HookSet(hooks), queue, wake: () => worker.wake() },
      "onDeliveryResult",
      input,
    );
    await until(() => seen.length === 2);
    for (const got of seen) {
      assert.equal(got.messageId, committed.id);
      assert.deepEqual(got.context, { score: 3.5, listed: false });
      assert.ok(Object.isFrozen(got.context) && Object.isFrozen(got.results[0]));
      assert.equal(got.results[0].status, "delivered");
    }
  });
});

Deno.test("AfterQueueWorker sleeps until the next retry is due, not a fixed poll", async () => {
  let calls = 0;
  const hook = inlineHook({
    onQueued: () => {
      if (++calls === 1) throw new Error("webhook answered 503");
    },
  }, { afterQueue: true, path: "webhook.ts" });
  const queue = openMemoryQueue({ clock: { now: () => Date.now() } });
  // The default longest wait (60 s) stands: the retry 100 ms later must still run in time.
  const worker = new AfterQueueWorker({
    queue,
    hooks: () => new HookSet([hook]),
    now: () => Date.now(),
    settings: () => ({ retry: [100], maxAttempts: 3 }),
  });
  worker.start();
  try {
    await queue.addTasks(hookTasks(new HookSet([hook]), "onQueued", QUEUED_INPUT));
    worker.wake();
    await until(() => calls === 2);
    await until(async () => (await queue.dueTasks(Number.MAX_SAFE_INTEGER, 10)).length === 0);
  } finally {
    await worker.stop();
    await queue.close();
  }
});
