/**
 * Spans of one SMTP connection, private to lib/server: the `smtp.session` span (a new trace
 * per connection), and a {@linkcode TransactionTrace} per transaction. The connection driver
 * calls it at each step; when tracing is off it does not exist, so the driver pays one
 * `undefined` check per step.
 */
import {
  ATTR,
  type Attributes,
  failSpan,
  parentContext,
  redactAddresses,
  type Span,
  SpanKind,
  startSpan,
  tlsAttributes,
  type TracingOptions,
  withSpan,
} from "../observe/mod.ts";
import type { Path, Reply, SessionEvent, TransactionView } from "../smtp/mod.ts";
import type { PeerAddress } from "./transport.ts";
import { type CommitTrace, TransactionTrace, UNTRACED_COMMIT } from "./_transaction_trace.ts";

export { type CommitTrace, UNTRACED_COMMIT };

/** The session events the driver answers with a reply. */
type DecisionEvent = Extract<
  SessionEvent,
  { type: "helo" | "mail" | "rcpt" | "data-start" | "data-end" | "auth" }
>;

/** What the session state tells the tracer after each step. */
interface SessionView {
  readonly transaction: TransactionView | undefined;
  readonly authenticatedUser: string | undefined;
  readonly helo?: { readonly domain: string } | undefined;
}

/** The spans of one SMTP connection. */
export class SessionTrace {
  readonly #options: TracingOptions;
  readonly #session: Span;
  #transaction: TransactionTrace | undefined;
  #authenticated = false;
  #helo: string | undefined;

  private constructor(session: Span, options: TracingOptions) {
    this.#session = session;
    this.#options = options;
  }

  /**
   * Starts the `smtp.session` span of a new connection (a new trace).
   *
   * @returns The tracer, or `undefined` when tracing is off.
   */
  static open(
    peer: PeerAddress,
    settings: { readonly listener: string; readonly hostname: string },
    options: TracingOptions,
  ): SessionTrace | undefined {
    const span = startSpan("smtp.session", {
      kind: SpanKind.SERVER,
      parent: parentContext(undefined),
      attributes: {
        "network.peer.address": peer.address,
        "network.peer.port": peer.port,
        "network.protocol.name": "smtp",
        "server.address": settings.hostname,
        [ATTR.LISTENER]: settings.listener,
      },
    });
    return span.isRecording() ? new SessionTrace(span, options) : undefined;
  }

  /** Runs `fn` inside the innermost span that exists (DATA, transaction, else session). */
  run<T>(fn: () => T): T {
    return withSpan(this.#transaction?.active ?? this.#session, fn);
  }

  /** Before the driver handles `event`: replies the session made itself, body bytes. */
  before(event: SessionEvent): void {
    switch (event.type) {
      case "send":
        if (event.reply.code >= 400) this.#rejected(event.reply);
        return;
      case "data-chunk":
        this.#transaction?.scan(event.bytes);
        return;
      case "data-aborted":
        this.#rejected(event.reply, "DATA");
        this.#transaction?.dataAborted(event.reply);
        return;
    }
  }

  /** A decision (`helo`, `mail`, `rcpt`, `data-start`, `data-end`, `auth`) was answered with `reply`. */
  decided(event: DecisionEvent, reply: Reply): void {
    if (reply.code < 400) return;
    if (event.type !== "rcpt") return this.#rejected(reply, commandOf(event));
    const path = event.forwardPath;
    const attributes: Attributes = {
      [ATTR.RECIPIENT_DOMAIN]: path.kind === "mailbox" ? path.domain : "",
    };
    if (this.#options.includeAddresses) attributes["empath.recipient"] = addressOf(path);
    this.#rejected(reply, "RCPT", attributes);
  }

  /** After each step: opens and ends the transaction's spans as the session state moves. */
  after(session: SessionView): void {
    const transaction = session.transaction;
    if (transaction !== undefined && this.#transaction === undefined) {
      this.#transaction = new TransactionTrace(
        this.#session,
        this.#senderAttributes(transaction.reversePath),
      );
    } else if (transaction === undefined && this.#transaction !== undefined) {
      this.#transaction.end();
      this.#transaction = undefined;
    }
    if (session.authenticatedUser !== undefined && !this.#authenticated) {
      this.#authenticated = true;
      this.#session.addEvent("smtp.authenticated");
    }
    const helo = session.helo?.domain;
    if (helo !== undefined && helo !== this.#helo) {
      this.#helo = helo;
      // Clients send junk in EHLO, addresses included.
      const value = this.#options.includeAddresses ? helo : redactAddresses(helo);
      this.#session.setAttribute("empath.helo", value);
    }
  }

  /** The message body starts (its queue id is known): the `smtp.data` span's attributes. */
  dataStarted(messageId: string, transaction: TransactionView | undefined): void {
    const recipients = transaction?.recipients ?? [];
    const attributes: Attributes = {
      [ATTR.MESSAGE_ID]: messageId,
      "empath.recipients": recipients.length,
      "empath.recipient_domains": [
        ...new Set(recipients.map((path) => path.kind === "mailbox" ? path.domain : "")),
      ],
    };
    if (this.#options.includeAddresses) {
      attributes["empath.recipient_addresses"] = recipients.map(addressOf);
    }
    this.#transaction?.dataStarted(attributes);
  }

  /** The message is being committed: see {@linkcode TransactionTrace.commit}. */
  commit(messageId: string): CommitTrace {
    return this.#transaction?.commit(messageId) ?? UNTRACED_COMMIT;
  }

  /** STARTTLS completed. */
  tlsEstablished(info: { version: string; cipher: string }): void {
    const attributes = tlsAttributes(info);
    this.#session.setAttributes(attributes);
    this.#session.addEvent("smtp.tls.established", attributes);
  }

  /** STARTTLS failed. */
  tlsFailed(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.#session.addEvent("smtp.tls.failed", { "error.message": message });
  }

  /** Something happened to the whole session (a timeout, a shutdown). */
  note(name: string, attributes?: Attributes): void {
    this.#session.addEvent(name, attributes);
  }

  /** The driver failed: the session span is an error. */
  failed(error: unknown): void {
    failSpan(this.#session, error);
  }

  /** The connection is closed: ends every open span. */
  close(): void {
    this.#transaction?.end();
    this.#transaction = undefined;
    this.#session.end();
  }

  #rejected(reply: Reply, command?: string, extra?: Attributes): void {
    const attributes: Attributes = { ...extra, [ATTR.SMTP_REPLY_CODE]: reply.code };
    if (reply.enhanced !== undefined) attributes[ATTR.SMTP_ENHANCED_CODE] = reply.enhanced;
    if (command !== undefined) attributes[ATTR.SMTP_COMMAND] = command;
    if (this.#transaction !== undefined) this.#transaction.event("smtp.rejected", attributes);
    else this.#session.addEvent("smtp.rejected", attributes);
  }

  #senderAttributes(reversePath: Path): Attributes {
    const attributes: Attributes = {
      "empath.sender_domain": reversePath.kind === "mailbox" ? reversePath.domain : "",
    };
    if (this.#options.includeAddresses) attributes["empath.sender"] = addressOf(reversePath);
    return attributes;
  }
}

function commandOf(event: DecisionEvent): string {
  switch (event.type) {
    case "helo":
      return event.verb;
    case "mail":
      return "MAIL";
    case "rcpt":
      return "RCPT";
    case "data-start":
      return event.mode === "bdat" ? "BDAT" : "DATA";
    case "data-end":
      return "DATA";
    case "auth":
      return "AUTH";
  }
}

function addressOf(path: Path): string {
  return path.kind === "mailbox" ? path.address : "";
}
