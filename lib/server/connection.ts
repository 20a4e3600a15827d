import { concatBytes } from "../smtp/mod.ts";
import {
  type Reply,
  ServerSession,
  type SessionEvent,
  timeoutExceeded,
  tooManyRecipients,
} from "../smtp/mod.ts";
import { getLogger, type TracingOptions } from "../observe/mod.ts";
import { SessionTrace } from "./_session_trace.ts";
import { SessionHooks, sessionView } from "./_session_hooks.ts";
import { MessageReceipt, postmaster } from "./_message_receipt.ts";
import type {
  ConnectionServices,
  ConnectionSettings,
  ConnectionSnapshot,
} from "./connection_types.ts";
import type { TlsSessionInfo } from "./tls.ts";
import type { SmtpTransport } from "./transport.ts";
import { ConnectionTimers } from "./timers.ts";

const logger = getLogger(["empath", "server"]);

let nextConnectionId = 1;

/** How long a closed session waits for the client to close before the socket is destroyed. */
export const LINGER_MS = 2000;

/**
 * Drives one SMTP connection: the only code that reads and writes the socket.
 * Bytes go into the sans-I/O {@link ServerSession}; its events are answered
 * here by asking the relay policy and the authenticator, and each message is
 * taken into the queue by the connection's `MessageReceipt`.
 */
export class SmtpConnection {
  readonly id = nextConnectionId++;
  readonly #services: ConnectionServices;
  readonly #settings: ConnectionSettings;
  readonly #session: ServerSession;
  readonly #hooks: SessionHooks;
  readonly #receipt: MessageReceipt;
  readonly #timers: ConnectionTimers;
  readonly #closed: Promise<void>;
  /** The connection's spans; `undefined` when tracing is off. */
  readonly #trace: SessionTrace | undefined;
  #transport: SmtpTransport;
  #out: Uint8Array[] = [];
  #draining = false;
  #tls: TlsSessionInfo | undefined;
  #stats = { since: 0, bytesIn: 0, bytesOut: 0 };
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
    this.#hooks = new SessionHooks(services.hooks, postmaster(settings.hostname));
    this.#timers = new ConnectionTimers(settings.timeouts, (what) => this.#timedOut(what));
    this.#stats.since = services.now();
    this.#trace = SessionTrace.open(transport.peer, settings, services.tracing ?? NO_ADDRESSES);
    this.#receipt = new MessageReceipt({
      session: this.#session,
      peerAddress: () => this.peerAddress,
      tls: () => this.#tls,
      hookSession: () => this.#hookSession(),
    }, { services, settings, hooks: this.#hooks, trace: this.#trace });
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
      messages: this.#receipt.received,
    };
  }

  /** Runs the `onConnect` hooks, then sends the greeting (or the refusal) and starts reading. */
  start(): void {
    this.#transport.setReceiver(this.#onData);
    this.#timers.idle(this.#session.phase);
    this.#timers.startSession();
    // Nothing the client sends before the greeting is read as a command.
    this.#draining = true;
    this.#transport.pause();
    void this.#greet();
  }

  async #greet(): Promise<void> {
    const refusal = await this.#hooks.connect(() => this.#hookSession());
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
        await this.#receipt.write(event.bytes);
        return true;
      case "data-aborted":
        await this.#receipt.discard();
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
        return await this.#hooks.helo(() => this.#hookSession(), event) ?? { code: 250, lines: [] };
      case "mail":
        this.#services.metrics?.transactionStarted(this.#settings.listener);
        return await this.#hooks.mailFrom(() => this.#hookSession(), event) ??
          { code: 250, enhanced: "2.1.0", lines: ["Sender ok"] };
      case "rcpt": {
        const reply = this.#services.policy.checkRecipient(event.forwardPath, {
          ip: this.peerAddress,
          authenticatedUser: this.#session.authenticatedUser,
        });
        if (reply.code >= 400) return reply; // hooks only see what the policy accepted
        if (!this.#receipt.fitsRecipient(event.forwardPath, event.params)) {
          return tooManyRecipients(); // the rest go in another transaction (RFC 5321 §4.5.3.1.10)
        }
        const session = () => this.#hookSession();
        const envelope = () => this.#receipt.envelope();
        return await this.#hooks.rcptTo(session, envelope, event.forwardPath) ?? reply;
      }
      case "data-start":
        return await this.#receipt.begin(event.mode);
      case "data-end":
        return await this.#receipt.end();
      case "auth":
        return await this.#services.authenticator.authenticate(event, this.peerAddress);
    }
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
    await this.#receipt.discard();
    this.#trace?.close();
  }
}

const NO_ADDRESSES: TracingOptions = { includeAddresses: false };

type DecisionEvent = Extract<
  SessionEvent,
  { type: "helo" | "mail" | "rcpt" | "data-start" | "data-end" | "auth" }
>;
