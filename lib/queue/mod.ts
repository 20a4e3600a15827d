/**
 * The durable message queue: spooling bodies while DATA streams in, the commit
 * point that makes a message durable before `250 Ok: queued as <id>`, the
 * due-index for delivery, record updates and queue queries.
 *
 * Deno KV layout:
 * - `["msg", id]` → {@linkcode QueuedMessage} record (kept under 60 KiB), with the
 *   optional `headerPrefix` (DKIM-Signature fields) that `readBody()` yields first.
 * - `["body", id, n]` → body chunk n (at most 64,000 bytes).
 * - `["due", band, nextAttemptAt, id]` → null; present while the message is `"queued"`,
 *   written in the same atomic commit as the record. `band` is `9 - priority`, so
 *   `due()` reads each priority's entries in order with one range list per band.
 * - `["spool", id]` → marker written with the first chunk of a body that needs
 *   more than one commit, deleted in the envelope commit; `cleanupOrphans()`
 *   removes chunks of markers without a record (O(orphans)).
 * - `["meta", "count"]` → number of messages (KvU64), so `count()` is O(1).
 * - `["task", runAt, id]` → {@linkcode QueueTask}: durable follow-up work (after-queue policy
 *   hooks), written with the envelope (`EnvelopeInit.tasks`) or on its own (`addTasks()`),
 *   listed by `dueTasks()` and removed or rescheduled by `settleTask()`.
 *
 * - `["tlsrpt", start, end, domain, policy, …]`, `["tlsrpt_from", …]`, `["tlsrpt_pending", id]` →
 *   SMTP TLS Reporting counts and pending submissions, behind `QueueStore.tlsReports`
 *   ({@linkcode TlsReportStore}).
 *
 * Leases are revision-checked `update()`s of the record that also move its due entry.
 *
 * Concurrent commits share atomic commits (group commit): while one commit is
 * being fsynced, the next ones accumulate and go out together.
 *
 * Recipient limit: at commit the record must fit 60 KiB even after every
 * recipient gets a stored reply (texts are cut to 200 characters), so updates
 * during delivery can never outgrow it: 157 recipients of 30 octets or 99 of
 * 254 octets with an ordinary envelope (155 and 98 with every other field at
 * its maximum). Beyond it, `commit()` throws
 * {@linkcode SpoolError}: answer 451 so the client retries later.
 *
 * @example Spool a message
 * ```ts
 * import { openKvQueue } from "./mod.ts";
 *
 * await using queue = await openKvQueue(":memory:", { clock: { now: () => Date.now() } });
 * await queue.cleanupOrphans();
 * const spool = queue.createSpool();
 * try {
 *   await spool.write(new TextEncoder().encode("Subject: hi\r\n\r\nhello\r\n"));
 *   const message = await spool.commit({
 *     reversePath: "a@example.test",
 *     recipients: ["b@example.org"],
 *     receivedFrom: { ip: "192.0.2.1", helo: "client.example.test" },
 *   });
 *   console.log(`250 2.0.0 Ok: queued as ${message.id}`);
 * } catch (error) {
 *   await spool.abort();
 *   throw error;
 * }
 * ```
 *
 * @module
 */

export * from "./types.ts";
export * from "./tls_report_types.ts";
export { RecordTooLargeError, SpoolError } from "./spool_error.ts";
export { envelopeFits } from "./_record.ts";
export {
  clampPriority,
  DEFAULT_PRIORITY,
  headerPriority,
  MAX_PRIORITY,
  MIN_PRIORITY,
} from "./priority.ts";
export { isMessageId, newMessageId } from "./message_id.ts";
export type { RandomBytes } from "./message_id.ts";
export { openKvQueue } from "./kv_queue.ts";
export { openMemoryQueue } from "./memory_queue.ts";
