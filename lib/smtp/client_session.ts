/**
 * The SMTP/LMTP client as a state machine without I/O (h11 style).
 *
 * @module
 */
import type { Reply } from "./reply.ts";
import { ReplyParser } from "./reply_parser.ts";
import { NO_CAPABILITIES } from "./client_capabilities.ts";
import { helloStep, type SetupPhase, type SetupReplyStep, setupReplyStep } from "./client_setup.ts";
import {
  assertSafeRequest,
  encodeCommands,
  mailCommand,
  refusalBeforeMail,
} from "./client_commands.ts";
import { ClientTransaction, isPositive } from "./client_transaction.ts";
import { type TransactionPhase, transactionStep } from "./client_transaction_step.ts";
import {
  type ClientPhase,
  describeReply,
  type Phase,
  replyWait,
  unreachable,
} from "./client_phase.ts";
import type {
  ClientAction,
  ClientResult,
  ClientSessionOptions,
  ClientTlsInfo,
  ServerCapabilities,
  SessionFailureKind,
  TransactionRequest,
} from "./client_types.ts";

/**
 * One SMTP (RFC 5321) or LMTP (RFC 2033) client conversation, without I/O.
 * The driver feeds server bytes to {@link receive} and performs what
 * {@link nextAction} asks: write bytes, read more, run the TLS handshake,
 * stream the body. The session waits for the greeting, says EHLO (HELO when
 * EHLO is refused with 5xx; LHLO for LMTP), applies the STARTTLS policy,
 * authenticates when given credentials (over TLS only), then becomes `idle`.
 * Each {@link deliver} runs one transaction — pipelined when the server
 * offers PIPELINING (RFC 2920) — and ends with a `done` action carrying a
 * reply per recipient; the session is then idle again, so one connection can
 * carry several transactions. A failure of the whole session ends in `done`
 * with a {@link SessionFailure} and then `closed`.
 *
 * @example
 * ```ts
 * import { ClientSession } from "./client_session.ts";
 * import assert from "node:assert/strict";
 * const session = new ClientSession({ heloName: "client.example", tls: "disabled" });
 * assert.deepEqual(session.nextAction(), { type: "need-data", wait: "greeting" });
 * session.receive(new TextEncoder().encode("220 mx.example ESMTP\r\n"));
 * const action = session.nextAction();
 * assert.equal(action.type, "send");
 * ```
 */
export class ClientSession {
  readonly #options: ClientSessionOptions;
  #parser = new ReplyParser();
  #phase: Phase = { name: "greeting" };
  #actions: ClientAction[] = [];
  #caps: ServerCapabilities = NO_CAPABILITIES;
  #tls: ClientTlsInfo | undefined;
  #tlsRefused = false;

  /**
   * Creates a session that waits for the server's greeting.
   *
   * @param options HELO name, TLS policy, LMTP mode and credentials.
   */
  constructor(options: ClientSessionOptions) {
    this.#options = options;
  }

  /** The current phase. */
  get phase(): ClientPhase {
    return this.#phase.name;
  }

  /** The extensions of the last EHLO/LHLO reply. */
  get capabilities(): ServerCapabilities {
    return this.#caps;
  }

  /** The TLS parameters after STARTTLS. */
  get tls(): ClientTlsInfo | undefined {
    return this.#tls;
  }

  /**
   * Consumes bytes from the server; replies are matched to the commands sent.
   *
   * @param bytes Bytes read from the connection.
   */
  receive(bytes: Uint8Array): void {
    this.#parser.receive(bytes);
    this.#drain();
  }

  /**
   * What the driver must do next. Writes and results come first, in order;
   * otherwise the phase decides (read, handshake, stream the body, idle).
   *
   * @returns The next action.
   */
  nextAction(): ClientAction {
    const queued = this.#actions.shift();
    if (queued !== undefined) return queued;
    const phase = this.#phase.name;
    const wait = replyWait(phase);
    if (wait !== undefined) return { type: "need-data", wait };
    if (phase === "handshake") return { type: "start-tls" };
    if (phase === "body") return { type: "send-body" };
    return phase === "idle" ? { type: "idle" } : { type: "closed" };
  }

  /**
   * Starts one transaction; only when idle.
   *
   * @param request Envelope, size and encoding needs of the message.
   * @throws {TypeError} When not idle, or for an address that would break the syntax.
   */
  deliver(request: TransactionRequest): void {
    this.#expectIdle("deliver");
    assertSafeRequest(request);
    const tx = new ClientTransaction(request, {
      pipelined: this.#caps.pipelining,
      lmtp: this.#options.lmtp ?? false,
      dsn: this.#caps.dsn,
    });
    const refusal = refusalBeforeMail(request, this.#caps);
    if (refusal !== undefined) {
      tx.mailReply = refusal;
      this.#done(tx.result(this.#tls));
      return;
    }
    const mail = mailCommand(request, this.#caps);
    if (tx.pipelined) {
      const rcpts = request.recipients.map((_, index) => tx.rcptLine(index));
      this.#send(mail, ...rcpts, "DATA"); // RFC 2920 §3.1: DATA ends the group
    } else this.#send(mail);
    this.#phase = { name: "mail", tx };
    this.#drain();
  }

  /**
   * Sends RSET, e.g. before reusing an idle connection; the session is idle
   * again when it is accepted, else it fails with `protocol-error`.
   *
   * @throws {TypeError} When not idle.
   */
  reset(): void {
    this.#expectIdle("reset");
    this.#send("RSET");
    this.#phase = { name: "rset" };
    this.#drain();
  }

  /** Sends QUIT (when the session is still usable) and ends the session. */
  quit(): void {
    if (this.#phase.name !== "idle") {
      this.#phase = { name: "closed" };
      return;
    }
    this.#send("QUIT");
    this.#phase = { name: "quit" };
    this.#drain();
  }

  /**
   * Reports a completed TLS handshake: the session says EHLO again
   * (RFC 3207 §4.2: everything learnt before TLS is forgotten).
   *
   * @param info The negotiated TLS parameters.
   */
  tlsEstablished(info: ClientTlsInfo): void {
    this.#expectPhase("handshake", "tlsEstablished");
    this.#tls = info;
    this.#caps = NO_CAPABILITIES;
    this.#applySetup(helloStep(this.#options));
  }

  /**
   * Reports a failed TLS handshake (including certificate verification).
   *
   * @param reason What went wrong, for logs.
   */
  tlsFailed(reason: string): void {
    this.#expectPhase("handshake", "tlsFailed");
    this.#fail("tls-unavailable", `TLS handshake failed: ${reason}`, { quit: false });
  }

  /** Reports that the body and its end marker were written. */
  bodySent(): void {
    const phase = this.#phase;
    if (phase.name !== "body") throw new TypeError(`Cannot end the body in phase "${phase.name}"`);
    this.#phase = { name: "final", tx: phase.tx };
    this.#drain();
  }

  /**
   * Reports that the connection closed, failed or timed out; a session that
   * was waiting for something ends with `connection-failed`.
   *
   * @param reason What happened, for logs.
   */
  connectionLost(reason: string): void {
    const name = this.#phase.name;
    if (name === "closed" || name === "quit" || name === "idle") {
      this.#phase = { name: "closed" };
      return;
    }
    this.#fail("connection-failed", reason, { quit: false });
  }

  #drain(): void {
    while (replyWait(this.#phase.name) !== undefined) {
      const next = this.#parser.next();
      if (next === undefined) return;
      if (next.kind === "protocol-error") return this.#fail("protocol-error", next.reason);
      this.#onReply(next.reply);
    }
    // Replies received while idle stay buffered: a 421 sent by a server that
    // closes an idle connection then answers the next command, as it should.
  }

  #onReply(reply: Reply): void {
    const phase = this.#phase;
    if (reply.code === 421 && phase.name !== "quit") return this.#serviceClosing(reply);
    switch (phase.name) {
      case "greeting":
      case "hello":
      case "starttls":
      case "auth":
        return this.#onSetup(reply, phase);
      case "mail":
      case "rcpt":
      case "data":
      case "final":
        return this.#onTransaction(reply, phase);
      case "flush":
        return this.#done(phase.tx.result(this.#tls));
      case "rset":
        return this.#onRset(reply, phase.tx);
      case "quit":
        this.#phase = { name: "closed" };
        return;
      case "handshake":
      case "idle":
      case "body":
      case "closed":
        return; // not waiting: #drain never gets here
      default:
        return unreachable(phase);
    }
  }

  /** RFC 5321 §3.8: 421 means the server is closing the channel. */
  #serviceClosing(reply: Reply): void {
    const phase = this.#phase;
    if ("tx" in phase && phase.tx !== undefined) {
      phase.tx.settleRest(reply);
      this.#done(phase.tx.result(this.#tls));
      this.#phase = { name: "closed" };
      return;
    }
    this.#fail("try-next-host", `Service not available: ${describeReply(reply)}`, {
      reply,
      quit: false,
    });
  }

  #onSetup(reply: Reply, phase: SetupPhase): void {
    const state = { tls: this.#tls !== undefined, tlsRefused: this.#tlsRefused, caps: this.#caps };
    this.#applySetup(setupReplyStep(reply, phase, { ...state, options: this.#options }));
  }

  #applySetup(step: SetupReplyStep): void {
    if (step.caps !== undefined) this.#caps = step.caps;
    if (step.tlsRefused) this.#tlsRefused = true;
    if (step.discardBuffered) this.#parser = new ReplyParser();
    if (step.send !== undefined) this.#send(step.send);
    if (step.kind === "fail") return this.#fail(step.failure, step.reason, { reply: step.reply });
    this.#phase = step.phase;
  }

  #onTransaction(reply: Reply, phase: TransactionPhase): void {
    const step = transactionStep(reply, phase);
    switch (step.kind) {
      case "continue":
        if (step.lines.length > 0) this.#send(...step.lines);
        this.#phase = step.phase;
        return;
      case "done":
        return this.#done(phase.tx.result(this.#tls));
      case "rset":
        return this.#sendRset(phase.tx);
      case "unexpected":
        return this.#fail("protocol-error", step.reason, { reply });
    }
  }

  #sendRset(tx: ClientTransaction): void {
    this.#send("RSET");
    this.#phase = { name: "rset", tx };
  }

  #onRset(reply: Reply, tx: ClientTransaction | undefined): void {
    if (tx !== undefined) {
      this.#done(tx.result(this.#tls));
      if (!isPositive(reply)) this.#phase = { name: "closed" };
      return;
    }
    if (isPositive(reply)) this.#phase = { name: "idle" };
    else this.#fail("protocol-error", `RSET refused: ${describeReply(reply)}`, { reply });
  }

  #send(...lines: string[]): void {
    this.#actions.push({ type: "send", bytes: encodeCommands(lines) });
  }

  #done(result: ClientResult): void {
    this.#actions.push({ type: "done", result });
    this.#phase = { name: "idle" };
  }

  #fail(
    kind: SessionFailureKind,
    reason: string,
    options: { reply?: Reply; quit?: boolean } = {},
  ): void {
    if (options.quit ?? true) this.#send("QUIT");
    const result = options.reply ? { kind, reply: options.reply, reason } : { kind, reason };
    this.#actions.push({ type: "done", result });
    this.#phase = { name: "closed" };
  }

  #expectIdle(what: string): void {
    if (this.#phase.name !== "idle") {
      throw new TypeError(`Cannot ${what}: the session is "${this.#phase.name}", not idle`);
    }
  }

  #expectPhase(name: ClientPhase, what: string): void {
    if (this.#phase.name !== name) {
      throw new TypeError(`Cannot call ${what}: the session is "${this.#phase.name}"`);
    }
  }
}
