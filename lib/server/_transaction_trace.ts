/**
 * The spans of one SMTP transaction, private to lib/server: `smtp.transaction` (MAIL to the
 * end of the transaction) → `smtp.data` (DATA/BDAT to the end of the message) → `queue.commit`.
 *
 * Their parent is only known once the message's header section has been read: a
 * `traceparent` field there makes them children of the submitter's span (with a link to the
 * `smtp.session` span), so the whole message is one trace; without one they are children of
 * the session. So they are created when the message is committed, or when the transaction
 * ends without a message, with the start times and events recorded meanwhile.
 */
import {
  ATTR,
  type Attributes,
  encodeTraceContext,
  failSpan,
  HeaderTraceScanner,
  type Link,
  parentContext,
  type Span,
  type SpanContext,
  startSpan,
  withSpan,
} from "../observe/mod.ts";
import type { Reply } from "../smtp/mod.ts";

/** The spool commit of one message, traced or not. */
export interface CommitTrace {
  /** The trace context to store with the message (`EnvelopeInit.traceContext`), if any. */
  readonly traceContext?: Record<string, string>;
  /** Runs `fn` with the commit span active (log lines inside carry the message's trace). */
  run<T>(fn: () => T): T;
  /** Ends the commit span with the reply the client gets. */
  end(reply: Reply): void;
}

/** The commit of a connection without tracing. */
export const UNTRACED_COMMIT: CommitTrace = Object.freeze({
  run: <T>(fn: () => T): T => fn(),
  end: () => {},
});

interface PendingEvent {
  readonly name: string;
  readonly attributes: Attributes;
  readonly time: number;
}

interface DataTrace {
  readonly start: number;
  readonly attributes: Attributes;
  readonly scanner: HeaderTraceScanner;
  span?: Span;
}

/** The spans of one transaction; see the module documentation. */
export class TransactionTrace {
  readonly #session: Span;
  readonly #start: number;
  readonly #attributes: Attributes;
  #events: PendingEvent[] = [];
  #span: Span | undefined;
  #data: DataTrace | undefined;

  /**
   * @param session The `smtp.session` span.
   * @param attributes The transaction's attributes (sender domain or address).
   */
  constructor(session: Span, attributes: Attributes) {
    this.#session = session;
    this.#attributes = attributes;
    this.#start = Date.now();
  }

  /** The innermost span once created (DATA, else transaction), to run driver steps in. */
  get active(): Span | undefined {
    return this.#data?.span ?? this.#span;
  }

  /** Records an event on the innermost span (kept with its time until the span exists). */
  event(name: string, attributes: Attributes): void {
    const span = this.active;
    if (span !== undefined) span.addEvent(name, attributes);
    else this.#events.push({ name, attributes, time: Date.now() });
  }

  /** The message starts: remembers its start and attributes, and scans its header section. */
  dataStarted(attributes: Attributes): void {
    this.#endData();
    this.#data = { start: Date.now(), attributes, scanner: new HeaderTraceScanner() };
  }

  /** Message bytes, scanned for a `traceparent` field until the header section ends. */
  scan(bytes: Uint8Array): void {
    const data = this.#data;
    if (data !== undefined && data.span === undefined) data.scanner.push(bytes);
  }

  /** The message was refused while it streamed in: its `smtp.data` span is an error. */
  dataAborted(reply: Reply): void {
    this.#create(undefined);
    const span = this.#data?.span;
    if (span !== undefined) failSpan(span, reply.lines.join(" "));
    this.#endData();
  }

  /**
   * Creates the spans (in the submitter's trace if the header section had a `traceparent`
   * field) and starts `queue.commit` as a child of `smtp.data`; its context is what the queue
   * stores.
   */
  commit(messageId: string): CommitTrace {
    this.#create(this.#data?.scanner.result());
    const data = this.active ?? this.#session;
    const span = startSpan("queue.commit", {
      parent: parentContext(data.spanContext()),
      attributes: { [ATTR.MESSAGE_ID]: messageId },
    });
    return {
      traceContext: encodeTraceContext(span.spanContext()),
      run: (fn) => withSpan(span, fn),
      end: (reply) => {
        span.setAttribute(ATTR.SMTP_REPLY_CODE, reply.code);
        if (reply.code >= 400) failSpan(span, reply.lines.join(" "));
        span.end();
        this.#data?.span?.setAttribute(ATTR.SMTP_REPLY_CODE, reply.code);
        this.#endData();
      },
    };
  }

  /** The transaction is over (reset, new MAIL, QUIT, closed): ends its spans. */
  end(): void {
    this.#create(undefined);
    this.#endData();
    this.#span?.end();
  }

  #create(submitted: SpanContext | undefined): void {
    if (this.#span !== undefined) return;
    const links: Link[] = submitted ? [{ context: this.#session.spanContext() }] : [];
    const span = startSpan("smtp.transaction", {
      parent: parentContext(submitted ?? this.#session.spanContext()),
      links,
      attributes: { ...this.#attributes, "empath.trace.submitted": submitted !== undefined },
      startTime: this.#start,
    });
    for (const event of this.#events) span.addEvent(event.name, event.attributes, event.time);
    this.#events = [];
    this.#span = span;
    const data = this.#data;
    if (data !== undefined && data.span === undefined) {
      data.span = startSpan("smtp.data", {
        parent: parentContext(span.spanContext()),
        attributes: data.attributes,
        startTime: data.start,
      });
    }
  }

  #endData(): void {
    this.#data?.span?.end();
    this.#data = undefined;
  }
}
