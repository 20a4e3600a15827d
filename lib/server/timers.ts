/** Timeouts of one SMTP connection, in milliseconds. */
export interface SessionTimeouts {
  /** Waiting for the next command (RFC 5321 §4.5.3.2.7: at least 5 minutes). */
  readonly command: number;
  /** Waiting for the next data block during DATA or BDAT (§4.5.3.2.5). */
  readonly data: number;
  /** The whole DATA or BDAT phase of one message. */
  readonly dataTotal: number;
  /** The STARTTLS handshake. */
  readonly tls: number;
  /** The whole connection. */
  readonly session: number;
}

/** Which timeout fired. */
export type TimeoutKind = "command" | "data" | "data-total" | "session";

/**
 * The timers of one connection, so that a slow or silent client cannot hold
 * a connection forever: an idle timer re-armed on every read (its length
 * depends on the session phase), a per-message data timer and a lifetime timer.
 */
export class ConnectionTimers {
  readonly #timeouts: SessionTimeouts;
  readonly #onTimeout: (kind: TimeoutKind) => void;
  #idle: ReturnType<typeof setTimeout> | undefined;
  #dataTotal: ReturnType<typeof setTimeout> | undefined;
  #session: ReturnType<typeof setTimeout> | undefined;

  constructor(timeouts: SessionTimeouts, onTimeout: (kind: TimeoutKind) => void) {
    this.#timeouts = timeouts;
    this.#onTimeout = onTimeout;
  }

  /** Starts the connection lifetime timer. */
  startSession(): void {
    this.#session = setTimeout(() => this.#fire("session"), this.#timeouts.session);
  }

  /** Re-arms the idle timer for `phase` and tracks the data-phase timer. */
  idle(phase: string): void {
    const inData = phase === "data" || phase === "bdat";
    if (this.#idle !== undefined) clearTimeout(this.#idle);
    const kind: TimeoutKind = inData ? "data" : "command";
    const ms = inData ? this.#timeouts.data : this.#timeouts.command;
    this.#idle = setTimeout(() => this.#fire(kind), ms);
    if (inData && this.#dataTotal === undefined) {
      this.#dataTotal = setTimeout(() => this.#fire("data-total"), this.#timeouts.dataTotal);
    } else if (!inData && this.#dataTotal !== undefined) {
      clearTimeout(this.#dataTotal);
      this.#dataTotal = undefined;
    }
  }

  /** Stops every timer. */
  clear(): void {
    for (const timer of [this.#idle, this.#dataTotal, this.#session]) {
      if (timer !== undefined) clearTimeout(timer);
    }
    this.#idle = this.#dataTotal = this.#session = undefined;
  }

  #fire(kind: TimeoutKind): void {
    this.clear();
    this.#onTimeout(kind);
  }
}
