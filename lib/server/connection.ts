import type tls from "node:tls";
import { concatBytes } from "./_bytes.ts";
import type { PriorityConfig } from "../config/mod.ts";
import { type EnvelopeInit, headerPriority, type QueueStore } from "../queue/mod.ts";
import type { MessageSigning } from "../dkim/mod.ts";
import type { HookRegistry } from "../hooks/mod.ts";
import {
  fieldValue,
  receivedHeader,
  receivedProtocol,
  type Reply,
  ServerSession,
  type SessionEvent,
  type SessionOptions,
  timeoutExceeded,
} from "../smtp/mod.ts";
import { getLogger, type SmtpMetrics, type TracingOptions } from "../observe/mod.ts";
import { SessionTrace, UNTRACED_COMMIT } from "./_session_trace.ts";
import { SessionHooks, sessionView } from "./_session_hooks.ts";
import { MessageIntake } from "./intake.ts";
import type { RelayPolicy } from "./policy.ts";
import type { TlsSessionInfo } from "./tls.ts";
import type { SmtpTransport } from "./transport.ts";
import type { Authenticator } from "./auth.ts";
import { ConnectionTimers, type SessionTimeouts } from "./timers.ts";

const logger = getLogger(["empath", "server"]);

/** The services a connection uses; built once per listener by the composition root. */
export interface ConnectionServices {
  readonly queue: Pick<QueueStore, "createSpool">;
  readonly policy: RelayPolicy;
  readonly authenticator: Authenticator;
  readonly tlsContext?: tls.SecureContext;
  readonly now: () => number;
  /** Called after a message is committed (wakes delivery, publishes the event). */
  readonly onQueued?: (queued: QueuedInfo) => void;
  /** Where connections, transactions, messages, replies and TLS handshakes are counted. */
  readonly metrics?: SmtpMetrics;
  /** What spans may record (`[observe.tracing]`). @default {{ includeAddresses: false }} */
  readonly tracing?: TracingOptions;
  /** DKIM signing of submitted mail (`RelayPolicy.isSubmitter`); absent: nothing is signed. */
  readonly dkim?: MessageSigning;
  /** The policy hooks in force (read at each hook point); absent: none. */
  readonly hooks?: HookRegistry;
}

/** A message just committed, as {@linkcode ConnectionServices.onQueued} sees it. */
export interface QueuedInfo {
  readonly id: string;
  /** The number of recipients. */
  readonly recipients: number;
  /** The envelope as committed. */
  readonly envelope: EnvelopeInit;
  /** Message bytes received from the client (without the `Received:` header added here). */
  readonly size: number;
}

/** Per-listener settings of a connection, as plain data. */
export interface ConnectionSettings {
  readonly listener: string;
  readonly hostname: string;
  readonly session: SessionOptions;
  readonly timeouts: SessionTimeouts;
  /** `[priority]`; absent: every message gets the queue's default priority. */
  readonly priority?: PriorityConfig;
}

/** What the control plane shows about one open connection. */
export interface ConnectionSnapshot {
  readonly id: number;
  readonly listener: string;
  readonly peer: string;
  readonly since: number;
  readonly phase: string;
  readonly tls?: TlsSessionInfo;
  readonly authenticatedUser?: string;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly messages: number;
}

let nextConnectionId = 1;

/** How long a closed session waits for the client to close before the socket is destroyed. */
export const LINGER_MS = 2000;

/**
 * Drives one SMTP connection: the only code that reads and writes the socket.
 * Bytes go into the sans-I/O {@link ServerSession}; its events are answered
 * here by asking the relay policy, the authenticator and the queue.
 */
export class SmtpConnection {
  readonly id = nextConnectionId++;
  readonly #services: ConnectionServices;
  readonly #settings: ConnectionSettings;
  readonly #session: ServerSession;
  readonly #intake: MessageIntake;
  readonly #hooks: SessionHooks;
  readonly #timers: ConnectionTimers;
  readonly #closed: Promise<void>;
  /** The connection's spans; `undefined` when tracing is off. */
  readonly #trace: SessionTrace | undefined;
  #transport: SmtpTransport;
  #out: Uint8Array[] = [];
  #draining = false;
  #tls: TlsSessionInfo | undefined;
  #stats = { since: 0, bytesIn: 0, bytesOut: 0, messages: 0 };
  /** Body bytes of the message being received, for metrics. */
  #messageBytes = 0;
  #linger: ReturnType<typeof setTimeout> | undefined;
  /** Set by {@link closeWhenIdle}: the reply to close with once no transaction is open. */
  #closing: Reply | undefined;

  constructor(
    transport: SmtpTransport,
    services: ConnectionServices,
    settings: ConnectionSettings,
  ) {
    this.#transport = transport;
    this.#services = services;
    this.#settings = settings;
    const decideHelo = services.hooks !== undefined; // EHLO/HELO go through onHelo hooks
    this.#session = new ServerSession({ ...settings.session, tls: false, decideHelo });
    this.#intake = new MessageIntake(services.queue, services.dkim);
    this.#hooks = new SessionHooks(services.hooks, this.#postmaster());
    this.#timers = new ConnectionTimers(settings.timeouts, (what) => this.#timedOut(what));
    this.#stats.since = services.now();
    this.#trace = SessionTrace.open(transport.peer, settings, services.tracing ?? NO_ADDRESSES);
    // After STARTTLS the plaintext transport closes with the TLS one.
    this.#closed = transport.closed.then(() => this.#cleanup());
  }

  /** Resolves when the socket is closed and everything is released. */
  get closed(): Promise<void> {
    return this.#closed;
  }

  /** Client address as seen on the socket. */
  get peerAddress(): string {
    return this.#transport.peer.address;
  }

  /** Whether the session is between transactions, so closing it loses nothing. */
  get idle(): boolean {
    return !this.#draining && this.#session.transaction === undefined;
  }

  /** A snapshot for the control plane. */
  snapshot(): ConnectionSnapshot {
    return {
      id: this.id,
      listener: this.#settings.listener,
      peer: `${this.#transport.peer.address}:${this.#transport.peer.port}`,
      phase: this.#session.phase,
      tls: this.#tls,
      authenticatedUser: this.#session.authenticatedUser,
      ...this.#stats,
    };
  }

  /** Runs the `onConnect` hooks, then sends the greeting (or the refusal) and starts reading. */
  start(): void {
    this.#transport.setReceiver(this.#onData);
    this.#timers.startSession();
    this.#timers.idle(this.#session.phase);
    // Nothing the client sends before the greeting is read as a command.
    this.#draining = true;
    this.#transport.pause();
    void this.#greet();
  }

  async #greet(): Promise<void> {
    const refusal = await this.#hooks.connect(this.#hookSession());
    this.#draining = false;
    if (this.#session.phase === "closed") return; // shut down meanwhile
    this.#queueOut(
      refusal ? this.#session.refuseGreeting(refusal) : this.#session.greeting(),
    );
    if (refusal !== undefined && refusal.code < 500) return this.#close(); // 421 closes
    await this.#drain();
  }

  /** Closes the connection with a `421` reply, e.g. on shutdown. */
  shutdown(reply: Reply): void {
    if (this.#session.phase !== "closed") this.#queueOut(this.#session.terminate(reply));
    this.#close();
  }

  /**
   * Closes the connection with `reply` as soon as no transaction is open: at
   * once when idle, otherwise right after the transaction in progress ends
   * (its final reply goes out first). A command that would start a new
   * transaction is not answered. For a graceful shutdown.
   */
  closeWhenIdle(reply: Reply): void {
    this.#closing = reply;
    if (this.idle) this.shutdown(reply);
  }

  #onData = (chunk: Uint8Array): void => {
    this.#stats.bytesIn += chunk.byteLength;
    this.#session.receive(chunk);
    this.#timers.idle(this.#session.phase);
    if (!this.#draining) void this.#drain();
  };

  /** Closes with the {@link closeWhenIdle} reply if one is due and no transaction is open. */
  #closedWhenIdle(): boolean {
    if (this.#closing === undefined || this.#session.transaction !== undefined) return false;
    this.shutdown(this.#closing);
    return true;
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    this.#transport.pause();
    try {
      while (!this.#closedWhenIdle() && await this.#tracedStep(this.#session.nextEvent()));
    } catch (error) {
      this.#trace?.failed(error);
      logger.error("Connection {connection_id} failed: {error}", { connection_id: this.id, error });
      this.shutdown({ code: 421, enhanced: "4.3.0", lines: ["Local error, closing connection"] });
    } finally {
      this.#draining = false;
    }
  }

  /** {@link #step} inside the connection's innermost span, when tracing. */
  #tracedStep(event: SessionEvent): Promise<boolean> {
    const trace = this.#trace;
    if (trace === undefined) return this.#step(event);
    trace.before(event);
    return trace.run(() => this.#step(event)).then((more) => {
      trace.after(this.#session);
      return more;
    });
  }

  /** Handles one session event; returns false when draining must stop. */
  async #step(event: SessionEvent): Promise<boolean> {
    switch (event.type) {
      case "need-data":
        this.#flush();
        this.#transport.resume();
        return false;
      case "send":
        this.#queueOut(event.bytes);
        if (event.close) this.#close();
        return !event.close;
      case "data-chunk":
        this.#messageBytes += event.bytes.byteLength;
        await this.#intake.write(event.bytes);
        return true;
      case "data-aborted":
        await this.#intake.discard();
        this.#queueOut(event.bytes);
        return true;
      case "starttls":
        await this.#startTls();
        return false;
      default: {
        const reply = await this.#decide(event);
        this.#trace?.decided(event, reply);
        this.#queueOut(this.#session.respond(reply));
        // A 421 answer (e.g. from policy) closes the session: close the socket too.
        if (this.#session.phase !== "closed") return true;
        this.#close();
        return false;
      }
    }
  }

  async #decide(event: DecisionEvent): Promise<Reply> {
    switch (event.type) {
      case "helo": // any 2xx: the session writes its own EHLO/HELO reply
        return await this.#hooks.helo(this.#hookSession(), event) ?? { code: 250, lines: [] };
      case "mail":
        this.#services.metrics?.transactionStarted(this.#settings.listener);
        return await this.#hooks.mailFrom(this.#hookSession(), event) ??
          { code: 250, enhanced: "2.1.0", lines: ["Sender ok"] };
      case "rcpt": {
        const reply = this.#services.policy.checkRecipient(event.forwardPath, {
          ip: this.peerAddress,
          authenticatedUser: this.#session.authenticatedUser,
        });
        if (reply.code >= 400) return reply; // hooks only see what the policy accepted
        const envelope = this.#envelope();
        return await this.#hooks.rcptTo(this.#hookSession(), envelope, event.forwardPath) ?? reply;
      }
      case "data-start":
        return await this.#beginMessage(event.mode);
      case "data-end":
        return await this.#endMessage();
      case "auth":
        return await this.#services.authenticator.authenticate(event, this.peerAddress);
    }
  }

  async #beginMessage(mode: "data" | "bdat"): Promise<Reply> {
    this.#messageBytes = 0;
    const client = { ip: this.peerAddress, authenticatedUser: this.#session.authenticatedUser };
    const submitter = this.#services.policy.isSubmitter(client);
    // Only submitted mail is signed, and only a submitter may set its priority with a header.
    const header = submitter ? this.#settings.priority?.header.toLowerCase() : undefined;
    await this.#intake.begin((id) => this.#receivedHeader(id), {
      sign: submitter,
      collect: header ? new Set([header]) : undefined,
    });
    this.#trace?.dataStarted(this.#intake.id ?? "", this.#session.transaction);
    if (mode === "bdat") return { code: 250, enhanced: "2.0.0", lines: ["Ok"] };
    return { code: 354, lines: ["End data with <CR><LF>.<CR><LF>"] };
  }

  async #endMessage(): Promise<Reply> {
    const id = this.#intake.id ?? "";
    const intake = this.#intake;
    const hooks = await this.#hooks.data(this.#hookSession(), this.#envelope(), {
      id,
      size: intake.size,
      open: () => intake.readSpooled(),
    });
    if (hooks.kind === "refuse") {
      await intake.discard(); // nothing is stored: the client gets the hook's reply
      return hooks.reply;
    }
    const commit = this.#trace?.commit(id) ?? UNTRACED_COMMIT;
    const envelope = {
      ...this.#envelope(),
      ...this.#priority(),
      ...hooks.extras,
      traceContext: commit.traceContext,
    };
    const reply = await commit.run(() => this.#intake.finish(envelope));
    commit.end(reply);
    if (reply.code === 250) {
      this.#stats.messages++;
      this.#services.metrics?.messageReceived(this.#settings.listener, this.#messageBytes);
      this.#services.onQueued?.({
        id,
        recipients: this.#session.transaction?.recipients.length ?? 0,
        envelope,
        size: this.#messageBytes,
      });
      this.#hooks.queued(this.#hookSession(), envelope, id);
      commit.run(() =>
        logger.info("Message {message_id} queued from {ip}", {
          message_id: id,
          ip: this.peerAddress,
          recipients: this.#session.transaction?.recipients.length,
        })
      );
    }
    return reply;
  }

  /** `{ priority }` from the submitter's priority header, else the configured default. */
  #priority(): Pick<EnvelopeInit, "priority"> {
    const rule = this.#settings.priority;
    if (rule === undefined) return {};
    const [field] = this.#intake.headerFields();
    const fromHeader = field === undefined
      ? undefined
      : headerPriority(fieldValue(field), rule.values);
    return { priority: fromHeader ?? rule.default };
  }

  #envelope(): EnvelopeInit {
    const transaction = this.#session.transaction;
    if (transaction === undefined) throw new TypeError("Message ended without a transaction");
    const reversePath = transaction.reversePath;
    return {
      reversePath: reversePath.kind === "mailbox" ? reversePath.address : "",
      recipients: transaction.recipients.map((path) =>
        path.kind === "mailbox" && path.domain !== "" ? path.address : this.#postmaster()
      ),
      receivedFrom: {
        ip: this.peerAddress,
        helo: this.#session.helo?.domain ?? "",
        tls: this.#tls,
        authUser: this.#session.authenticatedUser,
        listener: this.#settings.listener,
      },
      mailParams: {
        body: transaction.mailParams.body,
        smtputf8: transaction.mailParams.smtputf8 === true,
      },
    };
  }

  #hookSession() {
    return sessionView({
      connectionId: this.id,
      listener: this.#settings.listener,
      peer: this.#transport.peer,
      tls: this.#tls,
      authUser: this.#session.authenticatedUser,
      helo: this.#session.helo,
    });
  }

  #postmaster(): string {
    return `postmaster@${this.#settings.hostname.toLowerCase()}`;
  }

  #receivedHeader(id: string): string {
    const transaction = this.#session.transaction;
    const recipients = transaction?.recipients ?? [];
    const only = recipients.length === 1 ? recipients[0] : undefined;
    return receivedHeader({
      from: this.#session.helo?.domain ?? "unknown",
      ip: this.peerAddress,
      by: this.#settings.hostname,
      with: receivedProtocol({
        esmtp: this.#session.helo?.verb === "EHLO",
        tls: this.#tls !== undefined,
        authenticated: this.#session.authenticatedUser !== undefined,
        utf8: transaction?.mailParams.smtputf8 === true,
      }),
      tls: this.#tls,
      id,
      for: only?.kind === "mailbox" ? only.address : undefined,
      date: new Date(this.#services.now()),
    });
  }

  async #startTls(): Promise<void> {
    const context = this.#services.tlsContext;
    this.#flush();
    if (context === undefined) throw new TypeError("STARTTLS offered without a TLS context");
    try {
      const upgraded = await this.#transport.upgrade(context, this.#settings.timeouts.tls);
      this.#transport = upgraded.transport;
      this.#tls = upgraded.info;
      this.#session.tlsEstablished();
      this.#transport.setReceiver(this.#onData);
      this.#timers.idle(this.#session.phase);
      this.#services.metrics?.tlsHandshake(this.#settings.listener, true);
      this.#trace?.tlsEstablished(upgraded.info);
    } catch (error) {
      this.#trace?.tlsFailed(error);
      this.#services.metrics?.tlsHandshake(this.#settings.listener, false);
      logger.info("TLS handshake with {ip} failed: {error}", {
        ip: this.peerAddress,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  #timedOut(what: string): void {
    this.#trace?.note("smtp.timeout", { "empath.timeout": what });
    logger.info("Connection {connection_id} from {ip} timed out ({what})", {
      connection_id: this.id,
      ip: this.peerAddress,
      what,
    });
    this.shutdown(timeoutExceeded(this.#settings.hostname));
  }

  /** Queues one formatted reply (every caller passes exactly one, or nothing). */
  #queueOut(bytes: Uint8Array): void {
    if (bytes.byteLength === 0) return;
    this.#out.push(bytes);
    // The first octet is the reply's class digit.
    this.#services.metrics?.replySent((bytes[0] - 0x30) * 100);
  }

  #flush(): void {
    if (this.#out.length === 0) return;
    const bytes = this.#out.length === 1 ? this.#out[0] : concatBytes(this.#out);
    this.#out = [];
    this.#stats.bytesOut += bytes.byteLength;
    this.#transport.write(bytes);
  }

  /**
   * Sends what is queued and half-closes. Input that still arrives is read and
   * dropped, so a client blocked writing can finish, read the last reply and
   * close; a client that does not close within {@link LINGER_MS} is cut off.
   */
  #close(): void {
    this.#flush();
    if (this.#linger !== undefined) return;
    this.#transport.setReceiver(undefined);
    this.#transport.resume();
    this.#transport.end();
    const transport = this.#transport;
    this.#linger = setTimeout(() => transport.destroy(), LINGER_MS);
  }

  async #cleanup(): Promise<void> {
    clearTimeout(this.#linger);
    this.#timers.clear();
    await this.#intake.discard();
    this.#trace?.close();
  }
}

const NO_ADDRESSES: TracingOptions = { includeAddresses: false };

type DecisionEvent = Extract<
  SessionEvent,
  { type: "helo" | "mail" | "rcpt" | "data-start" | "data-end" | "auth" }
>;
