// The Deno KV key layout of the queue (see docs in mod.ts).

/** `["msg", id]` → QueuedMessage record. */
export function messageKey(id: string): Deno.KvKey {
  return ["msg", id];
}

/** `["body", id, n]` → body chunk n (Uint8Array, at most CHUNK_SIZE bytes). */
export function bodyKey(id: string, index: number): Deno.KvKey {
  return ["body", id, index];
}

/** `["due", nextAttemptAt, id]` → null; present exactly for messages in state "queued". */
export function dueKey(nextAttemptAt: number, id: string): Deno.KvKey {
  return ["due", nextAttemptAt, id];
}

/** `["spool", id]` → { startedAt }; present while a multi-chunk body is being spooled. */
export function spoolMarkerKey(id: string): Deno.KvKey {
  return ["spool", id];
}

/** `["meta", "count"]` → KvU64 number of messages, kept with wrapping sums. */
export const COUNT_KEY: Deno.KvKey = ["meta", "count"];

/** Key prefixes scanned by the store. */
export const MESSAGE_PREFIX: Deno.KvKey = ["msg"];
export const DUE_PREFIX: Deno.KvKey = ["due"];
export const SPOOL_PREFIX: Deno.KvKey = ["spool"];
