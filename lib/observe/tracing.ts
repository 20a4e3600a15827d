/**
 * OpenTelemetry tracing through `@opentelemetry/api` only: Deno's built-in OpenTelemetry
 * (`OTEL_DENO=true`) registers the global tracer provider, context manager and W3C
 * propagator, and exports over OTLP. Without it every span is a non-recording no-op, so
 * instrumented code checks `span.isRecording()` before building attributes.
 *
 * @module
 */
import {
  type Attributes,
  type Context,
  context,
  isSpanContextValid,
  type Link,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
  type TracerProvider,
} from "@opentelemetry/api";
import { VERSION } from "../version.ts";
import { decodeTraceContext } from "./trace_context.ts";

export { SpanKind, SpanStatusCode };
export type { Attributes, Context, Link, Span, SpanContext };

/** The instrumentation scope of Empath's spans. */
export const TRACER_NAME = "empath";

/** Attribute names of Empath's own (OpenTelemetry semantic conventions cover the rest). */
export const ATTR = Object.freeze({
  MESSAGE_ID: "empath.message_id",
  RECIPIENT_DOMAIN: "empath.recipient_domain",
  ATTEMPT: "empath.attempt",
  LISTENER: "empath.listener",
  SMTP_REPLY_CODE: "smtp.reply.code",
  SMTP_ENHANCED_CODE: "smtp.reply.enhanced_code",
  SMTP_COMMAND: "smtp.command",
});

/** What instrumented services may record; plain data from `[observe.tracing]`. */
export interface TracingOptions {
  /**
   * Record envelope addresses (sender, recipients) in span attributes and events.
   * @default {false}
   */
  readonly includeAddresses: boolean;
}

/**
 * Empath's tracer from the global provider: Deno's when `OTEL_DENO=true`, else the API's no-op
 * one; a provider registered later (tests) takes effect.
 *
 * @returns The tracer named {@linkcode TRACER_NAME}.
 *
 * @example Usage
 * ```ts
 * import { getTracer } from "./tracing.ts";
 *
 * const span = getTracer().startSpan("example");
 * span.end();
 * ```
 */
export function getTracer(): Tracer {
  // The API's provider object stays the same until `trace.disable()` (tests), and a tracer
  // taken before a provider is registered is a proxy that follows it: caching saves a lookup
  // per span.
  const provider = trace.getTracerProvider();
  if (provider !== cachedProvider || cachedTracer === undefined) {
    cachedProvider = provider;
    cachedTracer = provider.getTracer(TRACER_NAME, VERSION);
  }
  return cachedTracer;
}

let cachedProvider: TracerProvider | undefined;
let cachedTracer: Tracer | undefined;

/** Options of {@linkcode startSpan} and {@linkcode inSpan}. */
export interface StartSpanOptions {
  /** @default {SpanKind.INTERNAL} */
  readonly kind?: SpanKind;
  /** Attributes known when the span starts. */
  readonly attributes?: Attributes;
  /** Spans of other traces this one relates to. */
  readonly links?: Link[];
  /**
   * When the span started, in milliseconds since the epoch (`Date.now()`), for a span created
   * after the fact. @default {now}
   */
  readonly startTime?: number;
  /**
   * The parent; a context without a span starts a new trace.
   * @default {the active context}
   */
  readonly parent?: Context;
}

/**
 * Starts a span under `options.parent` (the active context by default). The span is not made
 * active: see {@linkcode withSpan} and {@linkcode inSpan}.
 *
 * @param name The span name, such as `"smtp.session"`.
 * @param options Kind, attributes, links and parent.
 * @returns The span; a non-recording one when tracing is off.
 *
 * @example Usage
 * ```ts
 * import { startSpan } from "./tracing.ts";
 *
 * const span = startSpan("smtp.session");
 * if (span.isRecording()) span.setAttribute("network.peer.port", 40000);
 * span.end();
 * ```
 */
export function startSpan(name: string, options: StartSpanOptions = {}): Span {
  const { parent, ...spanOptions } = options;
  return getTracer().startSpan(name, spanOptions, parent ?? context.active());
}

/**
 * Runs `fn` with `span` as the active span, so spans started and lines logged inside it (and
 * across its awaits) belong to it. A span without a valid context (tracing off, no remote
 * parent) changes nothing and costs nothing.
 *
 * @param span The span to make active.
 * @param fn The work.
 * @returns What `fn` returns.
 *
 * @example Usage
 * ```ts
 * import { startSpan, withSpan } from "./tracing.ts";
 *
 * const span = startSpan("work");
 * await withSpan(span, async () => {
 *   await Promise.resolve();
 * });
 * span.end();
 * ```
 */
export function withSpan<T>(span: Span, fn: () => T): T {
  if (!isSpanContextValid(span.spanContext())) return fn();
  return context.with(trace.setSpan(context.active(), span), fn);
}

/**
 * Runs `fn` in `parent` (for example {@linkcode storedContext}), so spans started inside are its
 * children and log lines inside carry its trace id. Without tracing it just calls `fn`.
 *
 * @param parent The context to run in.
 * @param fn The work.
 * @returns What `fn` returns.
 *
 * @example Usage
 * ```ts
 * import { inContext, startSpan, storedContext } from "./tracing.ts";
 *
 * const parent = storedContext({
 *   traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
 * });
 * inContext(parent, () => startSpan("delivery.attempt").end());
 * ```
 */
export function inContext<T>(parent: Context, fn: () => T): T {
  // Also for the root context: work started from a timer or a wake-up must not inherit
  // whatever span was active where that timer was set.
  return context.with(parent, fn);
}

/**
 * Starts a span, runs `fn` with it active and ends it. A throw marks the span as an error,
 * records the exception and is rethrown.
 *
 * @param name The span name.
 * @param options Kind, attributes, links and parent.
 * @param fn The work; it may set attributes and status on the span.
 * @returns What `fn` resolves to.
 *
 * @example Usage
 * ```ts
 * import { inSpan } from "./tracing.ts";
 * import assert from "node:assert/strict";
 *
 * const answer = await inSpan("dns.lookup", {}, async (span) => {
 *   span.setAttribute("dns.question.name", "example.org");
 *   return await Promise.resolve(42);
 * });
 * assert.equal(answer, 42);
 * ```
 */
export async function inSpan<T>(
  name: string,
  options: StartSpanOptions,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const span = startSpan(name, options);
  try {
    return await withSpan(span, () => fn(span));
  } catch (error) {
    failSpan(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/**
 * Marks a span as failed: status `ERROR` with a description; an `Error` is also recorded as an
 * `exception` event.
 *
 * @param span The span.
 * @param error An error, or a description.
 *
 * @example Usage
 * ```ts
 * import { failSpan, startSpan } from "./tracing.ts";
 *
 * const span = startSpan("smtp.connect");
 * failSpan(span, "Connection refused");
 * span.end();
 * ```
 */
export function failSpan(span: Span, error: unknown): void {
  if (!span.isRecording()) return;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof Error) span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
}

/**
 * A context whose parent span is `spanContext` (a remote one: a submitter's `traceparent`, or
 * the context stored with a queued message), or the root context without one.
 *
 * @param spanContext The parent span context.
 * @returns The context to start child spans in.
 *
 * @example Usage
 * ```ts
 * import { parentContext, startSpan } from "./tracing.ts";
 * import { parseTraceparent } from "./trace_context.ts";
 *
 * const parent = parentContext(
 *   parseTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
 * );
 * startSpan("queue.commit", { parent }).end();
 * ```
 */
export function parentContext(spanContext: SpanContext | undefined): Context {
  return spanContext === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, spanContext);
}

/**
 * The context to start a queued message's delivery spans in: the span context stored with
 * the message (`QueuedMessage.traceContext`), so a delivery attempt, even after a restart,
 * is a child of the span that committed the message and joins its trace.
 *
 * @param record The stored `{ traceparent, tracestate? }`.
 * @returns The parent context; the root context (a new trace) without a valid record.
 *
 * @example Usage
 * ```ts
 * import { storedContext } from "./tracing.ts";
 *
 * const parent = storedContext({
 *   traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
 * });
 * ```
 */
export function storedContext(record: Readonly<Record<string, string>> | undefined): Context {
  return parentContext(decodeTraceContext(record));
}

/**
 * The span context of the active context's span, when it is valid (a span is active, or a
 * submitter's remote context is).
 *
 * @returns The span context, or `undefined`.
 *
 * @example Usage
 * ```ts
 * import { activeSpanContext } from "./tracing.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(activeSpanContext(), undefined); // outside any span
 * ```
 */
export function activeSpanContext(): SpanContext | undefined {
  const spanContext = trace.getSpanContext(context.active());
  return spanContext !== undefined && isSpanContextValid(spanContext) ? spanContext : undefined;
}

/**
 * The OpenTelemetry TLS attributes (`tls.protocol.name`, `tls.protocol.version`,
 * `tls.cipher`) for a Node-style protocol name such as `"TLSv1.3"`.
 *
 * @param tls The negotiated protocol and cipher.
 * @returns The attributes.
 *
 * @example Usage
 * ```ts
 * import { tlsAttributes } from "./tracing.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(tlsAttributes({ version: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384" }), {
 *   "tls.protocol.name": "tls",
 *   "tls.protocol.version": "1.3",
 *   "tls.cipher": "TLS_AES_256_GCM_SHA384",
 * });
 * ```
 */
export function tlsAttributes(tls: { version: string; cipher: string }): Attributes {
  const match = /^(TLS|SSL)v?(\d+(?:\.\d+)?)$/i.exec(tls.version);
  return {
    "tls.protocol.name": match ? match[1].toLowerCase() : tls.version,
    "tls.protocol.version": match ? match[2] : tls.version,
    "tls.cipher": tls.cipher,
  };
}

const ADDRESS_REGEXP = /[^\s<>"(),;:@]+@[^\s<>"(),;:]+/g;

/**
 * Replaces what looks like an email address in `text` (a reply text, a failure reason) with
 * `<address>`, for span status messages and events when addresses are not configured in.
 *
 * @param text The text.
 * @returns The text without addresses.
 *
 * @example Usage
 * ```ts
 * import { redactAddresses } from "./tracing.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(redactAddresses("550 5.1.1 <bob@example.org>: unknown"), "550 5.1.1 <<address>>: unknown");
 * ```
 */
export function redactAddresses(text: string): string {
  return text.replace(ADDRESS_REGEXP, "<address>");
}
