// Conformance cases for tasks (durable follow-up work), hook contexts and reading a spool back.
import assert from "node:assert/strict";
import { envelope, type ManualClock, patternBytes, readAll } from "./_contract_support.ts";
import { SpoolError } from "./spool_error.ts";
import type { QueueStore } from "./types.ts";

type Case = (queue: QueueStore, clock: ManualClock) => Promise<void>;

/** Task, hook context and read-back cases, by test name. */
export const TASK_CASES: Record<string, Case> = {
  "commit() stores envelope tasks atomically with the record, due at once": async (
    queue,
    clock,
  ) => {
    const spool = queue.createSpool();
    await spool.write(new TextEncoder().encode("hi"));
    assert.deepEqual(await queue.dueTasks(clock.now(), 10), []);
    const tasks = [{ kind: "hook", payload: { n: 1 } }, { kind: "hook", payload: { n: 2 } }];
    const message = await spool.commit(envelope({ tasks }));
    const due = await queue.dueTasks(clock.now(), 10);
    assert.deepEqual(due.map((task) => [task.kind, task.payload, task.attempts]), [
      ["hook", { n: 1 }, 0],
      ["hook", { n: 2 }, 0],
    ]);
    assert.ok(due.every((task) => task.runAt === message.createdAt));
    assert.equal(new Set(due.map((task) => task.id)).size, 2);
    assert.equal((await queue.get(message.id)) !== undefined, true);
    assert.ok(!("tasks" in (await queue.get(message.id))!), "tasks are not part of the record");
  },

  "settleTask() removes a task, or counts a try and makes it due later": async (queue, clock) => {
    const [first, second] = await queue.addTasks([
      { kind: "a", payload: {} },
      { kind: "b", payload: { x: "y" } },
    ]);
    await queue.settleTask(first);
    await queue.settleTask(second, clock.now() + 1000);
    assert.deepEqual(await queue.dueTasks(clock.now(), 10), []);
    clock.advance(1000);
    const due = await queue.dueTasks(clock.now(), 10);
    assert.deepEqual(due.map((task) => [task.id, task.attempts, task.runAt]), [
      [second.id, 1, clock.now()],
    ]);
    assert.deepEqual(due[0].payload, { x: "y" });
  },

  "dueTasks() lists earliest first and honours the limit": async (queue, clock) => {
    const [a] = await queue.addTasks([{ kind: "a", payload: {} }]);
    clock.advance(10);
    const [b, c] = await queue.addTasks([{ kind: "b", payload: {} }, { kind: "c", payload: {} }]);
    await queue.settleTask(a, clock.now() + 5);
    assert.deepEqual((await queue.dueTasks(clock.now(), 1)).length, 1);
    clock.advance(5);
    const kinds = (await queue.dueTasks(clock.now(), 10)).map((task) => task.kind);
    assert.deepEqual(kinds.slice(0, 2).sort(), [b.kind, c.kind].sort());
    assert.deepEqual(kinds[2], "a");
  },

  "addTasks() refuses a task too large for one value": async (queue) => {
    const payload = { text: "x".repeat(70_000) };
    await assert.rejects(queue.addTasks([{ kind: "big", payload }]), SpoolError);
  },

  "commit() stores the hook context and refuses one over 4 KiB": async (queue) => {
    const spool = queue.createSpool();
    await spool.write(new Uint8Array([104, 105]));
    const hookContext = { score: 1.5, listed: false, note: "ok" };
    const message = await spool.commit(envelope({ hookContext }));
    assert.deepEqual((await queue.get(message.id))?.hookContext, hookContext);
    const big = queue.createSpool();
    await big.write(new Uint8Array([104, 105]));
    await assert.rejects(
      big.commit(envelope({ hookContext: { note: "x".repeat(5000) } })),
      SpoolError,
    );
    assert.equal(await queue.count(), 1);
  },

  "readSpooled() streams what was written before the commit, the commit still works": async (
    queue,
  ) => {
    const body = patternBytes(9, 700_123);
    const spool = queue.createSpool();
    for (let offset = 0; offset < body.length; offset += 50_000) {
      await spool.write(body.subarray(offset, offset + 50_000));
    }
    assert.deepEqual(await readAll(spool.readSpooled!()), body);
    assert.deepEqual(await readAll(spool.readSpooled!()), body, "a second read sees it all again");
    const message = await spool.commit(envelope());
    assert.deepEqual(await readAll(queue.readBody(message.id)), body);
    assert.throws(() => spool.readSpooled!(), SpoolError);
  },
};
