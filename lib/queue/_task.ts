// Building queue tasks (durable follow-up work) and the changes that settle them.
import { MAX_RECORD_BYTES, serializedSizeBound } from "./_record.ts";
import { SpoolError } from "./spool_error.ts";
import { cryptoRandomBytes, newMessageId } from "./message_id.ts";
import type { QueueDeps, QueueTask, TaskInit } from "./types.ts";

/** Builds a task due at once; throws SpoolError if it could not be stored as one KV value. */
export function buildTask(init: TaskInit, id: string, now: number): QueueTask {
  const task: QueueTask = {
    id,
    kind: init.kind,
    payload: structuredClone(init.payload),
    runAt: now,
    attempts: 0,
    createdAt: now,
  };
  const bytes = serializedSizeBound(task, MAX_RECORD_BYTES);
  if (bytes > MAX_RECORD_BYTES) {
    throw new SpoolError(
      `Cannot store task "${id}" (${init.kind}): it is ${bytes} bytes (max ${MAX_RECORD_BYTES})`,
    );
  }
  return task;
}

/** The task after a failed try, due again at `retryAt`. */
export function retriedTask(task: QueueTask, retryAt: number): QueueTask {
  return { ...task, runAt: retryAt, attempts: task.attempts + 1 };
}

/** Orders tasks by due time, then id (the KV key order). */
export function compareTasks(a: QueueTask, b: QueueTask): number {
  return a.runAt - b.runAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Builds a task for each of `inits`, due at once, each with a new id from the store's clock. */
export function buildTasks(inits: readonly TaskInit[], deps: QueueDeps): QueueTask[] {
  const now = deps.clock.now();
  const random = deps.random ?? cryptoRandomBytes;
  return inits.map((init) => buildTask(init, newMessageId(now, random), now));
}
