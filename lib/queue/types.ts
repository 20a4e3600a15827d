/**
 * Types of the queue port: the persisted message record, the spool writer and
 * the store interface shared by the Deno KV and in-memory implementations.
 *
 * @module
 */

import type { RandomBytes } from "./message_id.ts";
import type { TlsReportStore } from "./tls_report_types.ts";

/** Source of the current time in milliseconds since the Unix epoch. */
export interface Clock {
  /** Returns the current time in milliseconds. */
  now(): number;
}

/** Delivery state of one recipient of a queued message. */
export type RecipientStatus = "pending" | "delivered" | "deferred" | "failed";

/** The last SMTP reply seen for a recipient. */
export interface StoredReply {
  /** Three-digit reply code, for example `451`. */
  code: number;
  /** RFC 3463 enhanced status code, for example `"4.7.1"`. */
  enhanced?: string;
  /** Reply text; stored truncated to 200 characters (100 if it has characters beyond Latin-1). */
  text: string;
  /** When the reply was received, in milliseconds. */
  at: number;
}

/** RFC 3461 §4.1 NOTIFY values; `NEVER` only alone. */
export type DsnNotify = "NEVER" | "SUCCESS" | "FAILURE" | "DELAY";

/** The per-recipient DSN request (RFC 3461 RCPT parameters), as stored. */
export interface RecipientDsn {
  /** NOTIFY: `["NEVER"]` or some of SUCCESS, FAILURE, DELAY; absent means FAILURE and DELAY. */
  notify?: DsnNotify[];
  /** ORCPT as `<addr-type>;<decoded address>` (`rfc822` or `utf-8`), at most about 500 characters. */
  orcpt?: string;
}

/** The per-message DSN request (RFC 3461 MAIL parameters), as stored. */
export interface MessageDsn {
  /** RET: `FULL` returns the whole message in a failure report, `HDRS` its headers. */
  ret?: "FULL" | "HDRS";
  /** ENVID, decoded: printable ASCII, at most 100 characters. */
  envid?: string;
}

/** Per-recipient state persisted in the message record. */
export interface RecipientState extends RecipientDsn {
  /** Canonical forward-path address. */
  address: string;
  /** Where this recipient stands. */
  status: RecipientStatus;
  /** Delivery attempts made for this recipient. */
  attempts: number;
  /** The last reply from a receiving server, if any. */
  lastReply?: StoredReply;
  /** Next attempt for this recipient, in milliseconds, if deferred. */
  nextAttemptAt?: number;
}

/** TLS parameters of the session that received the message. */
export interface ReceivedTls {
  /** Protocol version, for example `"TLSv1.3"`. */
  version: string;
  /** Cipher suite name. */
  cipher: string;
}

/** Where a message came from. */
export interface ReceivedFrom {
  /** Peer IP address. */
  ip: string;
  /** Argument of the EHLO/HELO command. */
  helo: string;
  /** Present when the session used TLS. */
  tls?: ReceivedTls;
  /** Authenticated user name, when the client used AUTH. */
  authUser?: string;
  /** Name or address of the listener that accepted the session. */
  listener?: string;
}

/** ESMTP MAIL parameters that matter for relaying. */
export interface MailParams {
  /** RFC 6152 BODY parameter (`"7BIT"` or `"8BITMIME"`). */
  body?: string;
  /** RFC 6531 SMTPUTF8 parameter. */
  smtputf8?: boolean;
}

/**
 * Values policy hooks attached to a message (`context` in docs/HOOKS.md): plain data, at most
 * {@linkcode MAX_HOOK_CONTEXT_BYTES} as JSON.
 */
export type HookContextData = Record<string, string | number | boolean>;

/** Largest `hookContext` stored with a message, in bytes of its JSON text. */
export const MAX_HOOK_CONTEXT_BYTES = 4096;

/**
 * Follow-up work kept durably in the queue, such as an after-queue hook call: due at `runAt`,
 * retried by its worker until it settles it (plain, structured-clone data).
 */
export interface QueueTask {
  /** Unique id. */
  id: string;
  /** What the task is, for its worker (for example `"hook"`). */
  kind: string;
  /** What the worker needs; at most 60 KiB serialized. */
  payload: Record<string, unknown>;
  /** When the task is due, in milliseconds. */
  runAt: number;
  /** Tries so far. */
  attempts: number;
  /** When the task was stored, in milliseconds. */
  createdAt: number;
}

/** A task to store: see {@linkcode QueueTask}. */
export interface TaskInit {
  /** What the task is, for its worker. */
  kind: string;
  /** What the worker needs. */
  payload: Record<string, unknown>;
}

/** Lifecycle state of a queued message. `held` messages are not scheduled. */
export type MessageState = "queued" | "held";

/** The envelope record persisted for each queued message (plain, structured-clone data). */
export interface QueuedMessage {
  /** Id made by `newMessageId`. */
  id: string;
  /** RFC 5321 reverse-path; `""` for the null sender `<>`. */
  reversePath: string;
  /** One entry per forward-path. */
  recipients: RecipientState[];
  /** The session the message came from. */
  receivedFrom: ReceivedFrom;
  /** Message size in bytes as `readBody()` yields it: `headerPrefix` plus the body chunks. */
  size: number;
  /** Number of stored body chunks. */
  chunks: number;
  /** When the message was committed, in milliseconds. */
  createdAt: number;
  /** When undelivered recipients expire, in milliseconds. */
  expiresAt: number;
  /** When the message is next due for delivery, in milliseconds. */
  nextAttemptAt: number;
  /** Delivery attempts made for the message. */
  attempts: number;
  /** Scheduling priority, 0–9; higher is more urgent (see `priority.ts`). */
  priority: number;
  /** W3C trace context carried from the receiving span. */
  traceContext?: Record<string, string>;
  /**
   * Header fields added at queue time (the `DKIM-Signature:` fields), stored here
   * rather than in the body chunks because they are known only after the body
   * ended. `readBody()` yields them first, and `size` counts them.
   */
  headerPrefix?: string;
  /** ESMTP MAIL parameters. */
  mailParams?: MailParams;
  /** DSN RET and ENVID (RFC 3461), when the sender gave them; absent in older records. */
  dsn?: MessageDsn;
  /** Values policy hooks attached while the message was received; read by delivery hooks. */
  hookContext?: HookContextData;
  /**
   * When the sender was sent the "delayed" DSN (`[queue] delay_warning`), in milliseconds;
   * absent until then (and in records written before the field existed). Set at most once.
   */
  delayWarnedAt?: number;
  /** Lifecycle state. */
  state: MessageState;
  /** Record schema version. */
  version: 1;
  /**
   * Set while a delivery worker holds the message. Leasing is an `update()` that
   * also moves `nextAttemptAt` to `until`, so if the worker dies the message
   * simply becomes due again when the lease runs out.
   */
  lease?: { owner: string; until: number };
  /**
   * Optimistic-concurrency counter: `update()` succeeds only when it matches the
   * stored record, and stores `revision + 1`. Starts at 0.
   */
  revision: number;
}

/** What the SMTP session knows about a message when it commits it. */
export interface EnvelopeInit {
  /** RFC 5321 reverse-path; `""` for the null sender. */
  reversePath: string;
  /** Canonical forward-path addresses. */
  recipients: string[];
  /** The session the message came from. */
  receivedFrom: ReceivedFrom;
  /** ESMTP MAIL parameters. */
  mailParams?: MailParams;
  /** DSN RET and ENVID (RFC 3461). */
  dsn?: MessageDsn;
  /** DSN NOTIFY and ORCPT of each recipient, in the order of `recipients` (missing: none). */
  recipientDsn?: readonly RecipientDsn[];
  /** W3C trace context to carry to delivery. */
  traceContext?: Record<string, string>;
  /** Scheduling priority, 0–9 (clamped); higher is more urgent. @default {5} */
  priority?: number;
  /**
   * Header fields to store with the record and send before the spooled body (the
   * `DKIM-Signature:` fields computed while the body streamed in). Each line ends
   * with CRLF; octets above 127 are not allowed.
   */
  headerPrefix?: string;
  /**
   * Values policy hooks attached to the message; at most {@linkcode MAX_HOOK_CONTEXT_BYTES}
   * as JSON, or the commit fails with `SpoolError`.
   */
  hookContext?: HookContextData;
  /** Tasks stored in the same atomic commit as the record (durable follow-up work). */
  tasks?: readonly TaskInit[];
}

/** Streams one message body into the queue; see `QueueStore.createSpool()`. */
export interface SpoolWriter {
  /** Id the message will have once committed. */
  readonly id: string;
  /** Body bytes written so far. */
  readonly size: number;
  /**
   * Appends body bytes. The bytes are copied, so the caller may reuse its buffer.
   * Full chunks are persisted as they fill; the promise resolves once the writer
   * holds at most two chunks. Await each call before the next.
   *
   * @throws {SpoolError} If a chunk cannot be stored or the writer is closed.
   */
  write(bytes: Uint8Array): Promise<void>;
  /**
   * Stores the envelope and the due-index entry in one atomic commit. The message
   * is durable when the promise resolves. On failure the spooled chunks are removed.
   *
   * @throws {SpoolError} If the record is too large or the commit fails.
   */
  commit(envelope: EnvelopeInit): Promise<QueuedMessage>;
  /** Drops everything written so far. Idempotent; never throws. */
  abort(): Promise<void>;
  /**
   * Streams the bytes written so far, before the commit (for policy hooks that read the
   * message). Do not write while reading. The queue's own writers have it; wrappers may not.
   *
   * @throws {SpoolError} If the writer is not open.
   */
  readSpooled?(): ReadableStream<Uint8Array>;
}

/** Filter for `QueueStore.list()`; all given fields must match. */
export interface ListFilter {
  /** Exact lifecycle state. */
  state?: string;
  /** At least one recipient in this domain (case-insensitive). */
  domain?: string;
  /** Reverse-path (case-insensitive); `""` matches the null sender. */
  sender?: string;
  /** At least one recipient with this address (case-insensitive). */
  recipient?: string;
  /** Age in milliseconds: only messages created at least this long ago. */
  olderThan?: number;
}

/** Page request for `QueueStore.list()`. */
export interface ListPage {
  /** Opaque cursor returned by the previous page. */
  cursor?: string;
  /** Page size, 1 to 1000. @default {100} */
  limit?: number;
}

/** One page of `QueueStore.list()`, in id (creation) order. */
export interface ListResult {
  /** Matching messages. */
  messages: QueuedMessage[];
  /** Present when more messages may match; pass it to get the next page. */
  cursor?: string;
}

/** Aggregates over the whole queue. */
export interface QueueStats {
  /** Number of messages. */
  total: number;
  /** Messages per lifecycle state. */
  byState: Record<string, number>;
  /** Messages with at least one recipient per domain (same count as `list({ domain })`). */
  byDomain: Record<string, number>;
  /** Creation time of the oldest message, if any. */
  oldestCreatedAt?: number;
  /** Sum of body sizes in bytes. */
  bytes: number;
}

/** Counters describing the store's write path, for tests and metrics. */
export interface QueueMetrics {
  /** Atomic commits performed (one per fsync for Deno KV). */
  atomicCommits: number;
  /** Mutation groups committed (several share one atomic commit when batched). */
  committedGroups: number;
}

/** The durable message queue. */
export interface QueueStore extends AsyncDisposable {
  /** Starts spooling a new message body. */
  createSpool(): SpoolWriter;
  /** Reads one message record. */
  get(id: string): Promise<QueuedMessage | undefined>;
  /**
   * Streams a message as delivery sends it: the record's `headerPrefix` (if any),
   * then the body chunk by chunk, in order; errors with `SpoolError` if missing.
   */
  readBody(id: string): ReadableStream<Uint8Array>;
  /** Lists messages in id order, filtered, one page at a time. */
  list(filter?: ListFilter, page?: ListPage): Promise<ListResult>;
  /** Deletes a message with its body; returns false if it did not exist. */
  delete(id: string): Promise<boolean>;
  /** Number of committed messages (O(1)). */
  count(): Promise<number>;
  /** Aggregates over all messages (scans the queue). */
  stats(): Promise<QueueStats>;
  /**
   * Queued messages with `nextAttemptAt <= now`: higher priority first, earliest first within
   * one priority, at most `limit` of each priority (the scheduler decides how priorities share
   * delivery slots).
   */
  due(now: number, limit: number): Promise<QueuedMessage[]>;
  /** The earliest `nextAttemptAt` of any queued message (due or not), or `undefined`. */
  nextDueAt(): Promise<number | undefined>;
  /**
   * Rewrites a record and moves its due-index entry atomically, if the stored
   * `revision` equals `message.revision`; stores `revision + 1`.
   *
   * @returns false if the message is gone or was changed meanwhile.
   * @throws {SpoolError} If the record is too large or the commit fails.
   */
  update(message: QueuedMessage): Promise<boolean>;
  /** Removes bodies of spools that never committed; returns how many. Call at startup. */
  cleanupOrphans(): Promise<number>;
  /**
   * Stores tasks on their own (tasks that belong to a new message go in its
   * `EnvelopeInit.tasks` instead, committed with it). They are due at once.
   *
   * @throws {SpoolError} If a task is too large or the commit fails.
   */
  addTasks(tasks: readonly TaskInit[]): Promise<QueueTask[]>;
  /** Tasks with `runAt <= now`, earliest first, at most `limit`. */
  dueTasks(now: number, limit: number): Promise<QueueTask[]>;
  /**
   * Removes a task that is done or given up; with `retryAt`, counts a try instead
   * (`attempts + 1`) and makes it due again then.
   */
  settleTask(task: QueueTask, retryAt?: number): Promise<void>;
  /** Write-path counters. */
  metrics(): QueueMetrics;
  /** SMTP TLS Reporting (RFC 8460) counts and pending submissions, in the same database. */
  readonly tlsReports: TlsReportStore;
  /** Waits for pending commits, then closes the store. Idempotent. */
  close(): Promise<void>;
}

/** Effects a queue needs. */
export interface QueueDeps {
  /** Time source for ids, `createdAt`, `expiresAt` and `olderThan`. */
  clock: Clock;
  /** Randomness for message ids. @default {crypto.getRandomValues} */
  random?: RandomBytes;
  /**
   * Told after each envelope commit how long it took, in milliseconds, from
   * `SpoolWriter.commit()` to durable (for the spool commit latency metric).
   */
  onCommitted?: (durationMs: number) => void;
}

/** Options of {@linkcode openKvQueue} and `openMemoryQueue`. */
export interface QueueOptions {
  /** Lifetime of a queued message in milliseconds. @default {432_000_000} (5 days) */
  maxAgeMs?: number;
}
