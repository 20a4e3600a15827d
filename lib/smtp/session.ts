/**
 * The sans-I/O SMTP server session: bytes in, events out.
 *
 * @module
 */
import type { DataDecoder } from "./data_decoder.ts";
import type { LineResult } from "./line_buffer.ts";
import { chunkReceived, greeting, tooManyCommands, tooManyErrors } from "./replies.ts";
import { formatReply, type Reply, SmtpSyntaxError } from "./reply.ts";
import type {
  Helo,
  SessionEvent,
  SessionOptions,
  SessionPhase,
  TransactionView,
} from "./session_event.ts";
import {
  bodyPhase,
  type ChunkPhase,
  CLOSED,
  COMMAND,
  NEED_DATA,
  type Phase,
  startChunk,
} from "./_phase.ts";
import { type SaslStep, startSasl } from "./_sasl.ts";
import {
  continueSaslLine,
  decisionEvent,
  readCommand,
  resolveOptions,
  type SessionLimits,
} from "./_session_events.ts";
import { SessionBudget } from "./_session_budget.ts";
import { SessionInput } from "./_session_input.ts";
import {
  addBdatChunk,
  applyDecision,
  type Decision,
  heloAnswer,
  initialState,
  refusedState,
  type SessionState,
  type Transition,
  transition,
} from "./_state.ts";

const encoder = new TextEncoder();

/**
 * One SMTP server conversation as a state machine, in the shape of h11: the
 * driver passes received bytes to {@link receive}, drains {@link nextEvent}
 * until `need-data`, answers decision events with {@link respond} and writes
 * the bytes it is given. It never touches a socket or a clock.
 *
 * Pipelined commands (RFC 2920) are handled one at a time, one reply each, in
 * order. While a decision is pending the session does not advance.
 *
 * @example
 * ```ts
 * import { ServerSession } from "./session.ts";
 * import assert from "node:assert/strict";
 * const session = new ServerSession({ hostname: "mx.example.test" });
 * const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
 * assert.equal(text(session.greeting()), "220 mx.example.test ESMTP Empath\r\n");
 * session.receive(new TextEncoder().encode("HELO client.example\r\nMAIL FROM:<a@example.test>\r\n"));
 * const helo = session.nextEvent();
 * assert.equal(helo.type === "send" && text(helo.bytes), "250 mx.example.test\r\n");
 * const mail = session.nextEvent();
 * assert.equal(mail.type, "mail");
 * assert.equal(text(session.respond({ code: 250, enhanced: "2.1.0", lines: ["Ok"] })), "250 Ok\r\n");
 * assert.equal(session.nextEvent().type, "need-data");
 * ```
 */
export class ServerSession {
  readonly #limits: SessionLimits;
  readonly #input: SessionInput;
  readonly #outbox: SessionEvent[] = [];
  readonly #budget: SessionBudget;
  #state: SessionState;
  #phase: Phase = COMMAND;
  #pending: Decision | undefined;

  /**
   * Creates a session in its greeting state.
   *
   * @param options Host name, limits and offered extensions.
   */
  constructor(options: SessionOptions) {
    this.#limits = resolveOptions(options);
    this.#state = initialState(options.tls ?? false);
    this.#input = new SessionInput(this.#limits.maxCommandLength);
    this.#budget = new SessionBudget(this.#limits);
  }

  /** What the session is doing now. */
  get phase(): SessionPhase {
    return this.#phase.name;
  }

  /** The current transaction (sender, accepted recipients, MAIL parameters), if any. */
  get transaction(): TransactionView | undefined {
    return this.#state.transaction;
  }

  /** The client's EHLO/HELO, if it sent one since the start or the TLS upgrade. */
  get helo(): Helo | undefined {
    return this.#state.helo;
  }

  /** Whether the session is under TLS. */
  get tls(): boolean {
    return this.#state.tls;
  }

  /** The user name accepted by AUTH, if any. */
  get authenticatedUser(): string | undefined {
    return this.#state.authenticatedUser;
  }

  /** The `220` greeting to write when the connection opens. */
  greeting(): Uint8Array {
    return encoder.encode(
      formatReply(greeting(this.#limits.hostname, this.#limits.greeting), { enhanced: false }),
    );
  }

  /**
   * The greeting that refuses service, written instead of {@link greeting}: a 4xx
   * (`421 4.7.0`) closes the session; a 5xx (`554 5.7.1`) keeps it open and answers every
   * command but QUIT with `503` (RFC 5321 §3.1: the client should send QUIT). The enhanced
   * code is sent although no EHLO came yet, as Postfix does, so a client can tell a
   * temporary refusal from a permanent one.
   *
   * @param reply A 4xx or 5xx reply.
   * @returns The bytes to write.
   * @throws {RangeError} If `reply` is not a 4xx or 5xx reply.
   */
  refuseGreeting(reply: Reply): Uint8Array {
    if (reply.code < 400 || reply.code > 599) {
      throw new RangeError(`Cannot refuse the greeting with a ${reply.code} reply`);
    }
    const bytes = encoder.encode(formatReply(reply, { enhanced: true }));
    if (reply.code < 500) this.#close();
    else this.#state = refusedState(this.#state);
    return bytes;
  }

  /**
   * Hands received bytes to the session. The array is kept (not copied) until
   * it is consumed, so the driver must not reuse it; `data-chunk` events are
   * views of it. Bytes after STARTTLS or after close are discarded.
   */
  receive(bytes: Uint8Array): void {
    if (this.#phase.name === "closed" || this.#phase.name === "starttls") return;
    this.#input.push(bytes);
  }

  /**
   * The next thing the driver must do.
   *
   * @throws {TypeError} If a decision event is still waiting for `respond()`.
   */
  nextEvent(): SessionEvent {
    if (this.#pending !== undefined) {
      throw new TypeError("Cannot get the next event: a decision is pending, call respond() first");
    }
    const queued = this.#outbox.shift();
    if (queued !== undefined) return queued;
    while (true) {
      const event = this.#step();
      if (event !== undefined) return event;
    }
  }

  /**
   * Answers the pending decision event (`helo`, `mail`, `rcpt`, `data-start`,
   * `data-end`, `auth`); 2xx and 3xx mean accepted, and a 421 closes the
   * session.
   *
   * @param reply The answer.
   * @returns The bytes to write: empty for BDAT's `data-start`, whose
   * acceptance is silent and whose refusal is sent once the chunk is consumed.
   * @throws {TypeError} If no decision is pending.
   */
  respond(reply: Reply): Uint8Array {
    const decision = this.#pending;
    if (decision === undefined) throw new TypeError("Cannot respond: no decision is pending");
    this.#pending = undefined;
    if (decision.kind === "auth" && this.#budget.authAnswered(reply.code)) {
      this.#close();
      return this.#format(tooManyErrors(this.#limits.hostname));
    }
    this.#state = applyDecision(this.#state, decision, reply);
    // An accepted EHLO/HELO gets the session's own reply (with the extensions).
    const helo = decision.kind === "helo" && reply.code < 400;
    const bytes = this.#format(helo ? heloAnswer(this.#state, this.#limits) : reply);
    if (reply.code === 421) {
      this.#close();
      return bytes;
    }
    this.#phase = bodyPhase(decision, reply, this.#limits) ?? this.#phase;
    return decision.kind === "bdat-start" ? new Uint8Array(0) : bytes;
  }

  /**
   * Call once the TLS handshake after STARTTLS succeeded: the session starts
   * over (RFC 3207 §4.2), under TLS, and the client must EHLO again.
   *
   * @throws {TypeError} If no STARTTLS is in progress.
   */
  tlsEstablished(): void {
    if (this.#phase.name !== "starttls") {
      throw new TypeError("Cannot establish TLS: no STARTTLS is in progress");
    }
    this.#state = initialState(true);
    this.#input.restart();
    this.#phase = COMMAND;
  }

  /**
   * Ends the session with an unsolicited reply, such as `421 4.4.2` on a
   * timeout or `421 4.3.2` on shutdown, formatted for this session.
   *
   * @param reply The last reply.
   * @returns The bytes to write before closing.
   */
  terminate(reply: Reply): Uint8Array {
    const bytes = this.#format(reply);
    this.#pending = undefined;
    this.#close();
    return bytes;
  }

  #step(): SessionEvent | undefined {
    const phase = this.#phase;
    switch (phase.name) {
      case "closed":
      case "starttls":
        return NEED_DATA;
      case "command":
      case "auth":
        return this.#readLine(phase);
      case "data":
        return this.#readData(phase.decoder);
      case "bdat":
        return this.#readChunk(phase);
    }
  }

  #readLine(phase: Extract<Phase, { name: "command" | "auth" }>): SessionEvent | undefined {
    const line = this.#input.readLine(phase.name === "auth");
    if (line === undefined) return NEED_DATA;
    if (phase.name === "command") return this.#onCommandLine(line);
    return this.#onSaslStep(continueSaslLine(phase.exchange, line));
  }

  #onCommandLine(line: LineResult): SessionEvent | undefined {
    if (this.#budget.command()) {
      return this.#send(tooManyCommands(this.#limits.hostname), true);
    }
    // RFC 6531 §3.5: UTF-8 in RCPT only after MAIL … SMTPUTF8. Without a
    // transaction, parse leniently so that the 503 wins.
    const utf8 = this.#state.transaction?.mailParams.smtputf8 ?? true;
    const command = readCommand(line, { utf8 });
    if (command instanceof SmtpSyntaxError) return this.#refuse(command.reply);
    return this.#apply(transition(this.#state, command, this.#limits));
  }

  #apply(outcome: Transition): SessionEvent | undefined {
    switch (outcome.kind) {
      case "reply":
        this.#state = outcome.state;
        if (outcome.close) return this.#send(outcome.reply, true);
        return outcome.reply.code >= 500 ? this.#refuse(outcome.reply) : this.#send(outcome.reply);
      case "decide":
        return this.#decide(outcome.decision);
      case "starttls": {
        const event = this.#send(outcome.reply);
        this.#phase = { name: "starttls" };
        this.#input.clear(); // CVE-2011-0411: no plaintext crosses the upgrade
        this.#outbox.push({ type: "starttls" });
        return event;
      }
      case "bdat":
        return this.#startChunk(outcome);
      case "auth":
        return this.#onSaslStep(startSasl(outcome.mechanism, outcome.initialResponse));
    }
  }

  #startChunk(outcome: Extract<Transition, { kind: "bdat" }>): SessionEvent | undefined {
    const start = startChunk(outcome);
    if (start.kind === "decide") return this.#decide(start.decision);
    this.#state = start.state ?? this.#state;
    this.#phase = start.phase;
    return undefined;
  }

  #decide(decision: Decision): SessionEvent {
    this.#pending = decision;
    return decisionEvent(decision);
  }

  #onSaslStep(step: SaslStep): SessionEvent {
    switch (step.kind) {
      case "challenge":
        this.#phase = { name: "auth", exchange: step.exchange };
        return this.#send(step.reply);
      case "credentials":
        this.#phase = COMMAND;
        return this.#decide({ kind: "auth", credentials: step.credentials });
      case "failed":
        this.#phase = COMMAND;
        return this.#refuse(step.reply);
    }
  }

  #readData(decoder: DataDecoder): SessionEvent {
    const read = this.#input.readData(decoder);
    if (read === undefined) return NEED_DATA;
    if (read instanceof Uint8Array) return { type: "data-chunk", bytes: read };
    this.#phase = COMMAND;
    if (read.kind === "complete") return this.#decide({ kind: "data-end" });
    return this.#abort(read.reply);
  }

  #readChunk(phase: ChunkPhase): SessionEvent | undefined {
    if (phase.remaining > 0) {
      const bytes = this.#input.take(phase.remaining);
      if (bytes === undefined) return NEED_DATA;
      this.#phase = { ...phase, remaining: phase.remaining - bytes.length };
      return phase.disposal.kind === "emit" ? { type: "data-chunk", bytes } : undefined;
    }
    this.#phase = COMMAND;
    const disposal = phase.disposal;
    if (disposal.kind === "refuse") {
      if (disposal.aborted) return this.#abort(disposal.reply);
      return disposal.counts ? this.#refuse(disposal.reply) : this.#send(disposal.reply);
    }
    this.#state = addBdatChunk(this.#state, phase.size);
    if (phase.last) return this.#decide({ kind: "data-end" });
    return this.#send(chunkReceived(phase.size));
  }

  #abort(reply: Reply): SessionEvent {
    this.#state = { ...this.#state, transaction: undefined };
    return { type: "data-aborted", reply, bytes: this.#format(reply) };
  }

  /** A session-made error reply: counted, and the last one allowed becomes 421. */
  #refuse(reply: Reply): SessionEvent {
    if (this.#budget.error()) return this.#send(tooManyErrors(this.#limits.hostname), true);
    return this.#send(reply);
  }

  #send(reply: Reply, close = false): SessionEvent {
    const bytes = this.#format(reply);
    if (close) this.#close();
    return { type: "send", bytes, reply, close };
  }

  #close(): void {
    this.#phase = CLOSED;
    this.#input.clear();
    this.#outbox.length = 0;
  }

  #format(reply: Reply): Uint8Array {
    // RFC 2034: enhanced status codes only once the client used EHLO.
    const enhanced = this.#state.helo?.verb === "EHLO";
    return encoder.encode(formatReply(reply, { enhanced }));
  }
}
