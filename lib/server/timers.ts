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
 * a connection forever: an idle deadline pushed back on every read (its length
 * depends on the session phase), a per-message data deadline and a lifetime
 * deadline.
 *
 * Reads only move deadlines; one timer is armed for the earliest deadline and,
 * when it fires early because a deadline moved, re-armed for the new one. So a
 * read costs an assignment, not a clearTimeout/setTimeout pair.
 *
 * @example
 * ```ts
 * const timers = new ConnectionTimers(
 *   { command: 300_000, data: 180_000, dataTotal: 600_000, tls: 30_000, session: 3_600_000 },
 *   (kind) => console.log(`timed out: ${kind}`),
 * );
 * timers.startSession();
 * timers.idle("command");
 * timers.clear();
 * ```
 */
export class ConnectionTimers {
  readonly #timeouts: SessionTimeouts;
  readonly #onTimeout: (kind: TimeoutKind) => void;
  readonly #now: () => number;
  #deadlines: Record<TimeoutKind, number> = {
    command: Infinity,
    data: Infinity,
    "data-total": Infinity,
    session: Infinity,
  };
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;

  constructor(
    timeouts: SessionTimeouts,
    onTimeout: (kind: TimeoutKind) => void,
    now: () => number = () => performance.now(),
  ) {
    this.#timeouts = timeouts;
    this.#onTimeout = onTimeout;
    this.#now = now;
  }

  /** Starts the connection lifetime deadline. */
  startSession(): void {
    this.#deadlines.session = this.#now() + this.#timeouts.session;
    // Arm only when no timer would fire by the new deadline.
    if (this.#deadlines.session < this.#timerAt) this.#arm();
  }

  /** Pushes back the idle deadline for `phase` and tracks the data-phase deadline. */
  idle(phase: string): void {
    const now = this.#now();
    const inData = phase === "data" || phase === "bdat";
    const deadlines = this.#deadlines;
    deadlines.command = inData ? Infinity : now + this.#timeouts.command;
    deadlines.data = inData ? now + this.#timeouts.data : Infinity;
    if (!inData) deadlines["data-total"] = Infinity;
    else if (deadlines["data-total"] === Infinity) {
      deadlines["data-total"] = now + this.#timeouts.dataTotal;
    }
    // Arm only when no timer would fire by the earliest deadline.
    if (Math.min(deadlines.command, deadlines.data, deadlines["data-total"]) < this.#timerAt) {
      this.#arm();
    }
  }

  /** Stops every timer. */
  clear(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
    for (const kind of Object.keys(this.#deadlines) as TimeoutKind[]) {
      this.#deadlines[kind] = Infinity;
    }
  }

  #earliest(): [TimeoutKind, number] {
    let earliest: [TimeoutKind, number] = ["session", Infinity];
    for (const [kind, at] of Object.entries(this.#deadlines) as [TimeoutKind, number][]) {
      if (at < earliest[1]) earliest = [kind, at];
    }
    return earliest;
  }

  #arm(): void {
    clearTimeout(this.#timer);
    const [, at] = this.#earliest();
    if (at === Infinity) {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      return;
    }
    this.#timerAt = at;
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, at - this.#now()));
  }

  #fire(): void {
    this.#timer = undefined;
    const [kind, at] = this.#earliest();
    if (at > this.#now()) return this.#arm();
    this.clear();
    this.#onTimeout(kind);
  }
}
