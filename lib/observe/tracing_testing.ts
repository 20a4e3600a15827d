/**
 * Test support for tracing: an in-memory tracer provider that records every span, installed
 * as the global provider together with Deno's AsyncLocalStorage-based context manager (which
 * exists even without `OTEL_DENO=true`), so instrumented code can be tested in-process.
 *
 * @module
 */
import {
  type Attributes,
  type Context,
  context,
  type Exception,
  type Link,
  type Span,
  type SpanContext,
  SpanKind,
  type SpanOptions,
  type SpanStatus,
  SpanStatusCode,
  type TimeInput,
  trace,
  type Tracer,
  type TracerProvider,
} from "@opentelemetry/api";

/** A span as recorded by {@linkcode installSpanRecorder}. */
export interface RecordedSpan {
  readonly name: string;
  readonly kind: SpanKind;
  readonly traceId: string;
  readonly spanId: string;
  /** The parent's span id; absent for a root span. */
  readonly parentSpanId?: string;
  readonly attributes: Attributes;
  readonly events: { readonly name: string; readonly attributes: Attributes }[];
  readonly links: Link[];
  status: SpanStatus;
  ended: boolean;
}

/** The recorder returned by {@linkcode installSpanRecorder}. */
export interface SpanRecorder extends Disposable {
  /** Every span started since installation (or the last {@linkcode SpanRecorder.clear}). */
  readonly spans: RecordedSpan[];
  /** Forgets the recorded spans. */
  clear(): void;
}

function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)))
    .map((byte) => byte.toString(16).padStart(2, "0"))
    .join("");
}

function isAttributes(value: unknown): value is Attributes {
  return typeof value === "object" && value !== null && !(value instanceof Date) &&
    !Array.isArray(value);
}

class RecordingSpan implements Span {
  readonly #context: SpanContext;
  readonly #record: RecordedSpan;

  constructor(context: SpanContext, record: RecordedSpan) {
    this.#context = context;
    this.#record = record;
  }

  spanContext(): SpanContext {
    return this.#context;
  }

  setAttribute(key: string, value: Attributes[string]): this {
    if (value !== undefined) this.#record.attributes[key] = value;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const [key, value] of Object.entries(attributes)) this.setAttribute(key, value);
    return this;
  }

  addEvent(name: string, attributes?: Attributes | TimeInput, _time?: TimeInput): this {
    this.#record.events.push({ name, attributes: isAttributes(attributes) ? attributes : {} });
    return this;
  }

  addLink(link: Link): this {
    this.#record.links.push(link);
    return this;
  }

  addLinks(links: Link[]): this {
    this.#record.links.push(...links);
    return this;
  }

  setStatus(status: SpanStatus): this {
    this.#record.status = status;
    return this;
  }

  updateName(_name: string): this {
    return this;
  }

  end(_endTime?: TimeInput): void {
    this.#record.ended = true;
  }

  isRecording(): boolean {
    return !this.#record.ended;
  }

  recordException(exception: Exception, _time?: TimeInput): void {
    const message = typeof exception === "string" ? exception : exception.message ?? "";
    this.addEvent("exception", { "exception.message": message });
  }
}

class RecordingTracer implements Tracer {
  readonly #spans: RecordedSpan[];

  constructor(spans: RecordedSpan[]) {
    this.#spans = spans;
  }

  startSpan(name: string, options: SpanOptions = {}, parent?: Context): Span {
    const parentContext = options.root
      ? undefined
      : trace.getSpanContext(parent ?? context.active());
    const spanContext: SpanContext = {
      traceId: parentContext?.traceId ?? randomHex(16),
      spanId: randomHex(8),
      traceFlags: 1,
    };
    const record: RecordedSpan = {
      name,
      kind: options.kind ?? SpanKind.INTERNAL,
      traceId: spanContext.traceId,
      spanId: spanContext.spanId,
      ...(parentContext ? { parentSpanId: parentContext.spanId } : {}),
      attributes: { ...options.attributes },
      events: [],
      links: [...(options.links ?? [])],
      status: { code: SpanStatusCode.UNSET },
      ended: false,
    };
    this.#spans.push(record);
    return new RecordingSpan(spanContext, record);
  }

  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    ...rest: unknown[]
  ): ReturnType<F> {
    const fn = rest.at(-1) as F;
    const options = (rest.length > 1 ? rest[0] : {}) as SpanOptions;
    const parent = (rest.length > 2 ? rest[1] : context.active()) as Context;
    const span = this.startSpan(name, options, parent);
    return context.with(trace.setSpan(parent, span), () => fn(span)) as ReturnType<F>;
  }
}

/**
 * Installs a recording tracer provider and Deno's context manager globally, until disposed.
 * Fails if another provider is registered (for example under `OTEL_DENO=true`).
 *
 * @returns The recorder; dispose it (`using`) to uninstall.
 * @throws {TypeError} If a global tracer provider or context manager is already registered.
 *
 * @example Usage
 * ```ts
 * import { installSpanRecorder } from "./tracing_testing.ts";
 * import { startSpan } from "./tracing.ts";
 * import assert from "node:assert/strict";
 *
 * using recorder = installSpanRecorder();
 * startSpan("example").end();
 * assert.equal(recorder.spans[0].name, "example");
 * ```
 */
export function installSpanRecorder(): SpanRecorder {
  const spans: RecordedSpan[] = [];
  const tracer = new RecordingTracer(spans);
  const provider: TracerProvider = { getTracer: () => tracer };
  if (!context.setGlobalContextManager(Deno.telemetry.contextManager)) {
    throw new TypeError("Cannot install the span recorder: a context manager is registered");
  }
  if (!trace.setGlobalTracerProvider(provider)) {
    context.disable();
    throw new TypeError("Cannot install the span recorder: a tracer provider is registered");
  }
  return {
    spans,
    clear: () => void spans.splice(0),
    [Symbol.dispose]() {
      trace.disable();
      context.disable();
    },
  };
}

/**
 * Installs only Deno's context manager (no recording provider), until disposed: enough for
 * `context.with()` and `trace.getActiveSpan()` in tests.
 *
 * @returns A handle; dispose it to uninstall.
 * @throws {TypeError} If a context manager is already registered.
 *
 * @example Usage
 * ```ts
 * import { installContextManager } from "./tracing_testing.ts";
 *
 * using _context = installContextManager();
 * ```
 */
export function installContextManager(): Disposable {
  if (!context.setGlobalContextManager(Deno.telemetry.contextManager)) {
    throw new TypeError("Cannot install the context manager: one is registered");
  }
  return { [Symbol.dispose]: () => void context.disable() };
}
