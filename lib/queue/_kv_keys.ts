// The Deno KV key layout of the queue (see docs in mod.ts).
import { priorityBand } from "./priority.ts";

/** `["msg", id]` → QueuedMessage record. */
export function messageKey(id: string): Deno.KvKey {
  return ["msg", id];
}

/** `["body", id, n]` → body chunk n (Uint8Array, at most CHUNK_SIZE bytes). */
export function bodyKey(id: string, index: number): Deno.KvKey {
  return ["body", id, index];
}

/**
 * `["due", band, nextAttemptAt, id]` → null; present exactly for messages in state
 * "queued". `band` is `MAX_PRIORITY - priority`, so the most urgent band sorts first.
 */
export function dueKey(
  message: { priority: number; nextAttemptAt: number; id: string },
): Deno.KvKey {
  return ["due", priorityBand(message.priority), message.nextAttemptAt, message.id];
}

/** The first key of band `band` (`["due", band]`) and the key just past its entries due at `now`. */
export function dueRange(band: number, now: number): { start: Deno.KvKey; end: Deno.KvKey } {
  return { start: ["due", band], end: ["due", band, now + 1] };
}

/** `["spool", id]` → { startedAt }; present while a multi-chunk body is being spooled. */
export function spoolMarkerKey(id: string): Deno.KvKey {
  return ["spool", id];
}

/** `["task", runAt, id]` → QueueTask: durable follow-up work, listed in due order. */
export function taskKey(task: { runAt: number; id: string }): Deno.KvKey {
  return ["task", task.runAt, task.id];
}

/** The range of task keys due at or before `now`. */
export function taskRange(now: number): { start: Deno.KvKey; end: Deno.KvKey } {
  return { start: ["task"], end: ["task", now + 1] };
}

/** `["meta", "count"]` → KvU64 number of messages, kept with wrapping sums. */
export const COUNT_KEY: Deno.KvKey = ["meta", "count"];

/** Key prefixes scanned by the store. */
export const MESSAGE_PREFIX: Deno.KvKey = ["msg"];
export const SPOOL_PREFIX: Deno.KvKey = ["spool"];
