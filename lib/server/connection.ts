import type tls from "node:tls";
import { concatBytes } from "./_bytes.ts";
import type { EnvelopeInit, QueueStore } from "../queue/mod.ts";
import {
  receivedHeader,
  receivedProtocol,
  type Reply,
  ServerSession,
  type SessionEvent,
  type SessionOptions,
  timeoutExceeded,
} from "../smtp/mod.ts";
import { getLogger } from "../observe/mod.ts";
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
  readonly onQueued?: (queued: { id: string; recipients: number }) => void;
}

/** Per-listener settings of a connection, as plain data. */
export interface ConnectionSettings {
  readonly listener: string;
  readonly hostname: string;
  readonly session: SessionOptions;
  readonly timeouts: SessionTimeouts;
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
  readonly #timers: ConnectionTimers;
  readonly #closed: Promise<void>;
  #transport: SmtpTransport;
  #out: Uint8Array[] = [];
  #draining = false;
  #tls: TlsSessionInfo | undefined;
  #stats = { since: 0, bytesIn: 0, bytesOut: 0, messages: 0 };
  #linger: ReturnType<typeof setTimeout> | undefined;

  constructor(
    transport: SmtpTransport,
    services: ConnectionServices,
    settings: ConnectionSettings,
  ) {
    this.#transport = transport;
    this.#services = services;
    this.#settings = settings;
    this.#session = new ServerSession({ ...settings.session, tls: false });
    this.#intake = new MessageIntake(services.queue);
    this.#timers = new ConnectionTimers(settings.timeouts, (what) => this.#timedOut(what));
    this.#stats.since = services.now();
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

  /** Sends the greeting and starts reading. */
  start(): void {
    this.#transport.setReceiver(this.#onData);
    this.#timers.startSession();
    this.#timers.idle(this.#session.phase);
    this.#queueOut(this.#session.greeting());
    this.#flush();
  }

  /** Closes the connection with a `421` reply, e.g. on shutdown. */
  shutdown(reply: Reply): void {
    if (this.#session.phase !== "closed") this.#queueOut(this.#session.terminate(reply));
    this.#close();
  }

  #onData = (chunk: Uint8Array): void => {
    this.#stats.bytesIn += chunk.byteLength;
    this.#session.receive(chunk);
    this.#timers.idle(this.#session.phase);
    if (!this.#draining) void this.#drain();
  };

  async #drain(): Promise<void> {
    this.#draining = true;
    this.#transport.pause();
    try {
      while (await this.#step(this.#session.nextEvent()));
    } catch (error) {
      logger.error("Connection {id} failed: {error}", { id: this.id, error });
      this.shutdown({ code: 421, enhanced: "4.3.0", lines: ["Local error, closing connection"] });
    } finally {
      this.#draining = false;
    }
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
        await this.#intake.write(event.bytes);
        return true;
      case "data-aborted":
        await this.#intake.discard();
        this.#queueOut(event.bytes);
        return true;
      case "starttls":
        await this.#startTls();
        return false;
      default:
        this.#queueOut(this.#session.respond(await this.#decide(event)));
        // A 421 answer (e.g. from policy) closes the session: close the socket too.
        if (this.#session.phase !== "closed") return true;
        this.#close();
        return false;
    }
  }

  async #decide(event: DecisionEvent): Promise<Reply> {
    switch (event.type) {
      case "mail":
        return { code: 250, enhanced: "2.1.0", lines: ["Sender ok"] };
      case "rcpt":
        return this.#services.policy.checkRecipient(event.forwardPath, {
          ip: this.peerAddress,
          authenticatedUser: this.#session.authenticatedUser,
        });
      case "data-start":
        return await this.#beginMessage(event.mode);
      case "data-end":
        return await this.#endMessage();
      case "auth":
        return await this.#services.authenticator.authenticate(event, this.peerAddress);
    }
  }

  async #beginMessage(mode: "data" | "bdat"): Promise<Reply> {
    await this.#intake.begin((id) => this.#receivedHeader(id));
    if (mode === "bdat") return { code: 250, enhanced: "2.0.0", lines: ["Ok"] };
    return { code: 354, lines: ["End data with <CR><LF>.<CR><LF>"] };
  }

  async #endMessage(): Promise<Reply> {
    const id = this.#intake.id ?? "";
    const reply = await this.#intake.finish(this.#envelope());
    if (reply.code === 250) {
      this.#stats.messages++;
      this.#services.onQueued?.({
        id,
        recipients: this.#session.transaction?.recipients.length ?? 0,
      });
      logger.info("Message {id} queued from {ip}", {
        id: reply.lines[0]?.split(" ").pop(),
        ip: this.peerAddress,
        recipients: this.#session.transaction?.recipients.length,
      });
    }
    return reply;
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
    } catch (error) {
      logger.info("TLS handshake with {ip} failed: {error}", {
        ip: this.peerAddress,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  #timedOut(what: string): void {
    logger.info("Connection {id} from {ip} timed out ({what})", {
      id: this.id,
      ip: this.peerAddress,
      what,
    });
    this.shutdown(timeoutExceeded(this.#settings.hostname));
  }

  #queueOut(bytes: Uint8Array): void {
    if (bytes.byteLength > 0) this.#out.push(bytes);
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
  }
}

type DecisionEvent = Extract<
  SessionEvent,
  { type: "mail" | "rcpt" | "data-start" | "data-end" | "auth" }
>;
