// Building, normalizing and size-checking QueuedMessage records.
import { serialize } from "node:v8";
import { RecordTooLargeError, SpoolError } from "./spool_error.ts";
import { clampPriority, DEFAULT_PRIORITY } from "./priority.ts";
import {
  type EnvelopeInit,
  type HookContextData,
  MAX_HOOK_CONTEXT_BYTES,
  type MessageDsn,
  type QueuedMessage,
  type ReceivedFrom,
  type RecipientDsn,
  type RecipientState,
  type StoredReply,
} from "./types.ts";

/** Records must stay below this many serialized bytes (Deno KV values are limited to 64 KiB). */
export const MAX_RECORD_BYTES = 60 * 1024;
/** Stored reply texts are cut to this many characters, so updates cannot outgrow a record. */
export const MAX_REPLY_TEXT_CHARS = 200;
/** Default lifetime of a queued message: 5 days. */
export const DEFAULT_MAX_AGE_MS = 5 * 24 * 60 * 60 * 1000;

const BEYOND_LATIN1_REGEXP = /[\u0100-\uffff]/;
// deno-lint-ignore no-control-regex
const NON_ASCII_REGEXP = /[^\x00-\x7f]/;

/** Room reserved per recipient at commit time for a later `lastReply` and `nextAttemptAt`. */
const REPLY_RESERVE_BYTES = measureReplyReserve();
/** Room reserved per record at commit time for a later `delayWarnedAt`. */
const WARNING_RESERVE_BYTES = recordBytes({ delayWarnedAt: 2 ** 47 + 0.5 }) - recordBytes({}) + 8;

/** Inputs of {@linkcode buildQueuedMessage}. */
export interface RecordInit {
  id: string;
  envelope: EnvelopeInit;
  size: number;
  chunks: number;
  now: number;
  maxAgeMs: number;
}

/**
 * Room left free when {@linkcode envelopeFits} checks an envelope at RCPT time, for what the
 * end of DATA adds to the record: `DKIM-Signature:` fields, the trace context, the priority
 * and a typical hook context. A record that still overflows at commit (a near-full envelope and
 * a large hook context) is refused with {@linkcode RecordTooLargeError}.
 */
const END_OF_DATA_RESERVE_BYTES = 4 * 1024;

/**
 * Builds the first record of a message; throws {@linkcode SpoolError} for an envelope without
 * recipients, and {@linkcode RecordTooLargeError} if the record could outgrow a KV value.
 */
export function buildQueuedMessage(init: RecordInit): QueuedMessage {
  const message = assembleRecord(init);
  if (message.recipients.length === 0) {
    throw new SpoolError(`Cannot commit message "${init.id}": no recipients`);
  }
  const worstCase = worstCaseBytes(message, MAX_RECORD_BYTES);
  if (worstCase > MAX_RECORD_BYTES) {
    throw new RecordTooLargeError(
      `Cannot commit message "${init.id}": record for ${message.recipients.length} recipients ` +
        `may reach ${worstCase} bytes (max ${MAX_RECORD_BYTES})`,
    );
  }
  return message;
}

/**
 * Whether a message with `envelope` can be committed, with room left for what the end of DATA
 * adds. The SMTP server asks before it accepts each RCPT, so an envelope that could not be
 * stored is refused there with `452 4.5.3` (the client sends the other recipients in another
 * transaction) rather than at the end of DATA.
 *
 * @param envelope The envelope so far, with the recipient about to be accepted.
 * @returns `true` if it fits.
 *
 * @example Usage
 * ```ts
 * import { envelopeFits } from "./_record.ts";
 * import assert from "node:assert/strict";
 * const receivedFrom = { ip: "192.0.2.1", helo: "client.example" };
 * assert.equal(envelopeFits({ reversePath: "", recipients: ["a@example.org"], receivedFrom }), true);
 * const many = Array.from({ length: 2000 }, (_, i) => `user${i}@example.org`);
 * assert.equal(envelopeFits({ reversePath: "", recipients: many, receivedFrom }), false);
 * ```
 */
export function envelopeFits(envelope: EnvelopeInit): boolean {
  const message = assembleRecord({
    id: "00000000000000000000000000",
    envelope,
    size: Number.MAX_SAFE_INTEGER,
    chunks: 0,
    now: 2 ** 47,
    maxAgeMs: 0,
  });
  const budget = MAX_RECORD_BYTES - END_OF_DATA_RESERVE_BYTES;
  return worstCaseBytes(message, budget) <= budget;
}

/**
 * The record's size once every recipient has a last reply and the sender was warned: a cheap
 * upper bound while that stays within `budget`, the exact size beyond.
 */
function worstCaseBytes(message: QueuedMessage, budget: number): number {
  const reserve = message.recipients.length * REPLY_RESERVE_BYTES + WARNING_RESERVE_BYTES;
  return serializedSizeBound(message, budget - reserve) + reserve;
}

function assembleRecord(init: RecordInit): QueuedMessage {
  const { envelope, now } = init;
  const message: QueuedMessage = {
    id: init.id,
    reversePath: envelope.reversePath,
    recipients: envelope.recipients.map((address, index) => ({
      address,
      status: "pending",
      attempts: 0,
      ...copyRecipientDsn(envelope.recipientDsn?.[index]),
    })),
    receivedFrom: copyReceivedFrom(envelope.receivedFrom),
    size: init.size + prefixBytes(init.id, envelope.headerPrefix),
    chunks: init.chunks,
    createdAt: now,
    expiresAt: now + init.maxAgeMs,
    nextAttemptAt: now,
    attempts: 0,
    priority: clampPriority(envelope.priority ?? DEFAULT_PRIORITY),
    state: "queued",
    version: 1,
    revision: 0,
  };
  if (envelope.traceContext) message.traceContext = { ...envelope.traceContext };
  if (envelope.mailParams) message.mailParams = { ...envelope.mailParams };
  const dsn = copyMessageDsn(envelope.dsn);
  if (dsn) message.dsn = dsn;
  if (envelope.headerPrefix) message.headerPrefix = envelope.headerPrefix;
  if (envelope.hookContext) message.hookContext = copyHookContext(init.id, envelope.hookContext);
  return message;
}

/**
 * Prepares an updated record for storage: a deep copy with reply texts truncated
 * and `revision` incremented. Throws SpoolError if it is too large.
 */
export function prepareUpdate(message: QueuedMessage): QueuedMessage {
  const next = structuredClone(message);
  next.revision = message.revision + 1;
  next.priority = clampPriority(next.priority);
  next.recipients = next.recipients.map(truncateReply);
  const bytes = serializedSizeBound(next, MAX_RECORD_BYTES);
  if (bytes > MAX_RECORD_BYTES) {
    throw new SpoolError(
      `Cannot update message "${message.id}": record is ${bytes} bytes (max ${MAX_RECORD_BYTES})`,
    );
  }
  return next;
}

/** Serialized size of a value as Deno KV stores it (V8 serializer, within a few header bytes). */
export function recordBytes(value: unknown): number {
  return serialize(value).byteLength;
}

/**
 * An upper bound of {@linkcode recordBytes} for plain JSON-like data, cheap to compute:
 * V8 needs at most 3 bytes per UTF-16 unit of the JSON text (two-byte strings,
 * tagged numbers) plus a small header. When that bound exceeds `threshold`, the
 * exact (slower) size is returned instead.
 */
export function serializedSizeBound(value: unknown, threshold = Infinity): number {
  const bound = 3 * JSON.stringify(value).length + 64;
  return bound <= threshold ? bound : recordBytes(value);
}

/** Lower-cased domain of an address, or "" if it has none. */
export function domainOf(address: string): string {
  const at = address.lastIndexOf("@");
  return at < 0 ? "" : address.slice(at + 1).toLowerCase();
}

/** Octets of a header prefix: ASCII only (one octet per character), whole lines. */
function prefixBytes(id: string, prefix: string | undefined): number {
  if (!prefix) return 0;
  if (NON_ASCII_REGEXP.test(prefix) || !prefix.endsWith("\r\n")) {
    throw new SpoolError(
      `Cannot commit message "${id}": header prefix must be ASCII lines ending with CRLF`,
    );
  }
  return prefix.length;
}

/** A copy of a hook context; throws SpoolError if it is not flat plain data or too large. */
function copyHookContext(id: string, context: HookContextData): HookContextData {
  const copy: HookContextData = {};
  for (const [key, value] of Object.entries(context)) {
    const isScalar = typeof value === "string" || typeof value === "boolean" ||
      (typeof value === "number" && Number.isFinite(value));
    if (!isScalar) {
      throw new SpoolError(
        `Cannot commit message "${id}": hook context value "${key}" is not a string, number or boolean`,
      );
    }
    copy[key] = value;
  }
  const bytes = new TextEncoder().encode(JSON.stringify(copy)).byteLength;
  if (bytes > MAX_HOOK_CONTEXT_BYTES) {
    throw new SpoolError(
      `Cannot commit message "${id}": hook context is ${bytes} bytes (max ${MAX_HOOK_CONTEXT_BYTES})`,
    );
  }
  return copy;
}

/** The set DSN fields of a recipient, copied (stored only when given: compact records). */
function copyRecipientDsn(dsn: RecipientDsn | undefined): RecipientDsn {
  const copy: RecipientDsn = {};
  if (dsn?.notify !== undefined) copy.notify = [...dsn.notify];
  if (dsn?.orcpt !== undefined) copy.orcpt = dsn.orcpt;
  return copy;
}

function copyMessageDsn(dsn: MessageDsn | undefined): MessageDsn | undefined {
  if (dsn?.ret === undefined && dsn?.envid === undefined) return undefined;
  const copy: MessageDsn = {};
  if (dsn.ret !== undefined) copy.ret = dsn.ret;
  if (dsn.envid !== undefined) copy.envid = dsn.envid;
  return copy;
}

function copyReceivedFrom(source: ReceivedFrom): ReceivedFrom {
  const copy: ReceivedFrom = { ip: source.ip, helo: source.helo };
  if (source.tls) copy.tls = { version: source.tls.version, cipher: source.tls.cipher };
  if (source.authUser !== undefined) copy.authUser = source.authUser;
  if (source.listener !== undefined) copy.listener = source.listener;
  return copy;
}

function truncateReply(recipient: RecipientState): RecipientState {
  const reply = recipient.lastReply;
  if (!reply) return recipient;
  return { ...recipient, lastReply: { ...reply, text: truncateText(reply.text) } };
}

function truncateText(text: string): string {
  const limit = BEYOND_LATIN1_REGEXP.test(text) ? MAX_REPLY_TEXT_CHARS / 2 : MAX_REPLY_TEXT_CHARS;
  return text.length > limit ? text.slice(0, limit) : text;
}

function measureReplyReserve(): number {
  const bare: RecipientState = { address: "", status: "deferred", attempts: 0 };
  const reply: StoredReply = {
    code: 451,
    enhanced: "4.7.1",
    text: "x".repeat(MAX_REPLY_TEXT_CHARS),
    at: 2 ** 47 + 0.5,
  };
  const full: RecipientState = { ...bare, attempts: 2 ** 31, lastReply: reply };
  full.nextAttemptAt = 2 ** 47 + 0.5;
  return recordBytes(full) - recordBytes(bare) + 16;
}
