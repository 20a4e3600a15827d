/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) as Empath carries it: the
 * `traceparent` and `tracestate` values stored with a queued message, and the `traceparent`
 * field a submitter may put in a message's header section. Pure functions, no I/O.
 *
 * @module
 */
import { createTraceState, isSpanContextValid, type SpanContext } from "@opentelemetry/api";
import {
  collectHeaderFields,
  fieldValue,
  type HeaderField,
  HeaderFieldCollector,
} from "../smtp/mod.ts";

/** Trace Context §3.2.2: `version "-" trace-id "-" parent-id "-" trace-flags`, lowercase hex. */
const TRACEPARENT_REGEXP = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
/** Trace Context §3.3.1.1: at most 512 characters are propagated. */
const MAX_TRACESTATE_LENGTH = 512;
/** The part of a message scanned for a `traceparent` field (RFC 5322 §2.2 header section). */
export const MAX_HEADER_SCAN = 64 * 1024;

/**
 * Parses a W3C `traceparent` value into a remote span context, or `undefined` if it is
 * invalid: not lowercase hex in the right shape, version `ff`, an all-zero trace or parent id,
 * or extra fields on version `00` (§3.2.4: a later version may add fields after the flags).
 *
 * @param value The header value, surrounding blanks allowed.
 * @param tracestate The `tracestate` value that came with it, kept when at most 512 characters.
 * @returns The span context, marked remote.
 *
 * @example Usage
 * ```ts
 * import { parseTraceparent } from "./trace_context.ts";
 * import assert from "node:assert/strict";
 *
 * const context = parseTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
 * assert.equal(context?.traceId, "0af7651916cd43dd8448eb211c80319c");
 * assert.equal(context?.spanId, "b7ad6b7169203331");
 * assert.equal(context?.traceFlags, 1);
 * assert.equal(parseTraceparent("00-00000000000000000000000000000000-b7ad6b7169203331-01"), undefined);
 * ```
 */
export function parseTraceparent(value: string, tracestate?: string): SpanContext | undefined {
  const match = TRACEPARENT_REGEXP.exec(value.trim());
  if (match === null) return undefined;
  const [, version, traceId, spanId, flags, rest] = match;
  if (version === "ff" || (version === "00" && rest !== undefined)) return undefined;
  const context: SpanContext = {
    traceId,
    spanId,
    traceFlags: parseInt(flags, 16),
    isRemote: true,
  };
  if (!isSpanContextValid(context)) return undefined;
  const state = tracestate?.trim();
  if (state !== undefined && state !== "" && state.length <= MAX_TRACESTATE_LENGTH) {
    context.traceState = createTraceState(state);
  }
  return context;
}

/**
 * Formats a span context as a version `00` `traceparent` value.
 *
 * @param context The span context.
 * @returns `00-<trace id>-<span id>-<flags>`.
 *
 * @example Usage
 * ```ts
 * import { formatTraceparent } from "./trace_context.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   formatTraceparent({ traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", traceFlags: 1 }),
 *   "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
 * );
 * ```
 */
export function formatTraceparent(context: SpanContext): string {
  const flags = (context.traceFlags & 0xff).toString(16).padStart(2, "0");
  return `00-${context.traceId}-${context.spanId}-${flags}`;
}

/**
 * The record stored with a queued message (`QueuedMessage.traceContext`) for a span context:
 * `{ traceparent, tracestate? }`, or `undefined` for an invalid context (tracing off and no
 * submitted trace), so nothing is stored.
 *
 * @param context The span context to carry, usually the spool commit span's.
 * @returns The record, or `undefined`.
 *
 * @example Usage
 * ```ts
 * import { encodeTraceContext } from "./trace_context.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   encodeTraceContext({ traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", traceFlags: 1 }),
 *   { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
 * );
 * ```
 */
export function encodeTraceContext(
  context: SpanContext | undefined,
): Record<string, string> | undefined {
  if (context === undefined || !isSpanContextValid(context)) return undefined;
  const record: Record<string, string> = { traceparent: formatTraceparent(context) };
  const state = context.traceState?.serialize();
  if (state !== undefined && state !== "") record.tracestate = state;
  return record;
}

/**
 * The span context stored with a queued message, marked remote (it may come from before a
 * restart), or `undefined` when there is none or it is invalid.
 *
 * @param record `QueuedMessage.traceContext`.
 * @returns The span context to parent delivery spans on.
 *
 * @example Usage
 * ```ts
 * import { decodeTraceContext } from "./trace_context.ts";
 * import assert from "node:assert/strict";
 *
 * const context = decodeTraceContext({
 *   traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
 *   tracestate: "vendor=value",
 * });
 * assert.equal(context?.traceState?.get("vendor"), "value");
 * assert.equal(decodeTraceContext(undefined), undefined);
 * ```
 */
export function decodeTraceContext(
  record: Readonly<Record<string, string>> | undefined,
): SpanContext | undefined {
  const traceparent = record?.traceparent;
  if (traceparent === undefined) return undefined;
  return parseTraceparent(traceparent, record?.tracestate);
}

/**
 * The `traceparent` (and `tracestate`) fields of a message's header section (RFC 5322 §2.2),
 * as a remote span context: the first valid `traceparent` field wins; folded lines are
 * unfolded. Everything after the first empty line is ignored.
 *
 * @param section The header section, or the start of the message (CRLF or LF line ends).
 * @returns The submitter's span context, or `undefined`.
 *
 * @example Usage
 * ```ts
 * import { traceFromHeaderSection } from "./trace_context.ts";
 * import assert from "node:assert/strict";
 *
 * const header = "Subject: hi\r\n" +
 *   "Traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n\r\nbody";
 * assert.equal(traceFromHeaderSection(header)?.spanId, "b7ad6b7169203331");
 * ```
 */
export function traceFromHeaderSection(section: string): SpanContext | undefined {
  return traceFromFields(collectHeaderFields(section, TRACE_FIELDS, MAX_HEADER_SCAN));
}

/** The header fields that carry a submitter's trace context. */
const TRACE_FIELDS: ReadonlySet<string> = new Set(["traceparent", "tracestate"]);

/** The span context of the first valid `traceparent` among `fields`, with the first `tracestate`. */
function traceFromFields(fields: readonly HeaderField[]): SpanContext | undefined {
  const tracestate = fields.find((field) => field.name === "tracestate");
  for (const field of fields) {
    if (field.name !== "traceparent") continue;
    const context = parseTraceparent(
      fieldValue(field),
      tracestate === undefined ? undefined : fieldValue(tracestate),
    );
    if (context !== undefined) return context;
  }
  return undefined;
}

/**
 * Finds the submitter's `traceparent` in a message as its body streams in: collects the header
 * section (up to {@linkcode MAX_HEADER_SCAN} bytes) and parses it once the empty line that ends
 * it arrives. Bytes after the header section are not looked at, so feeding a large body costs
 * nothing.
 *
 * @example Usage
 * ```ts
 * import { HeaderTraceScanner } from "./trace_context.ts";
 * import assert from "node:assert/strict";
 *
 * const scanner = new HeaderTraceScanner();
 * const text = "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n\r\nHi\r\n";
 * const bytes = new TextEncoder().encode(text);
 * scanner.push(bytes.subarray(0, 10));
 * scanner.push(bytes.subarray(10));
 * assert.equal(scanner.result()?.traceId, "0af7651916cd43dd8448eb211c80319c");
 * ```
 */
export class HeaderTraceScanner {
  readonly #collector = new HeaderFieldCollector(TRACE_FIELDS, MAX_HEADER_SCAN);
  /** Bytes looked at: a header section longer than {@linkcode MAX_HEADER_SCAN} is cut there. */
  #scanned = 0;
  #done = false;
  #result: SpanContext | undefined;

  /** Whether the header section is complete (or too long) and was parsed. */
  get done(): boolean {
    return this.#done;
  }

  /**
   * Feeds the next bytes of the message.
   *
   * @param bytes Message bytes, as received (after dot-unstuffing).
   */
  push(bytes: Uint8Array): void {
    if (this.#done) return;
    const scanned = bytes.subarray(0, MAX_HEADER_SCAN - this.#scanned);
    this.#scanned += scanned.length;
    const progress = this.#collector.push(scanned);
    if (progress.kind !== "more" || this.#scanned >= MAX_HEADER_SCAN) this.#finish();
  }

  /**
   * Parses what was collected, if not done yet, and returns the submitter's span context.
   *
   * @returns The span context from the first valid `traceparent` field, or `undefined`.
   */
  result(): SpanContext | undefined {
    if (!this.#done) {
      this.#collector.finish();
      this.#finish();
    }
    return this.#result;
  }

  #finish(): void {
    this.#done = true;
    this.#result = traceFromFields(this.#collector.fields);
  }
}
