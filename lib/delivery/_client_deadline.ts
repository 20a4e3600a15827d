/**
 * Deadlines for the client driver's I/O steps, and cancellation by signal.
 *
 * @module
 */

/** Thrown when an I/O step of the SMTP client did not finish in time. */
export class SmtpTimeoutError extends Error {
  /**
   * Creates the error.
   *
   * @param message What timed out.
   * @param options Standard error options.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SmtpTimeoutError";
  }
}

/**
 * Runs steps under a time limit; when one expires (or the signal aborts) the
 * `onExpire` callback closes the connection so the step's I/O ends too.
 */
export class ClientDeadline {
  readonly #onExpire: () => void;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort: () => void;
  #fail: ((error: Error) => void) | undefined;
  #expired = false;

  constructor(onExpire: () => void, signal?: AbortSignal) {
    this.#onExpire = onExpire;
    this.#signal = signal;
    this.#onAbort = () => this.#expire(new DOMException("The delivery was aborted", "AbortError"));
    signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** Whether a deadline expired or the signal aborted. */
  get expired(): boolean {
    return this.#expired;
  }

  /** Runs `step`, rejecting with {@link SmtpTimeoutError} after `timeoutMs`. */
  async run<T>(timeoutMs: number, what: string, step: () => Promise<T>): Promise<T> {
    if (this.#signal?.aborted) this.#onAbort();
    if (this.#expired) throw new SmtpTimeoutError(`Cannot continue: the connection was closed`);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const limit = new Promise<never>((_, reject) => {
      this.#fail = reject;
      timer = setTimeout(
        () => this.#expire(new SmtpTimeoutError(`Timed out after ${timeoutMs} ms ${what}`)),
        timeoutMs,
      );
    });
    const work = step();
    work.catch(() => {}); // settles after the connection is closed on expiry
    try {
      return await Promise.race([work, limit]);
    } finally {
      clearTimeout(timer);
      this.#fail = undefined;
    }
  }

  /** Stops listening to the signal. */
  dispose(): void {
    this.#signal?.removeEventListener("abort", this.#onAbort);
  }

  #expire(error: Error): void {
    if (this.#expired) return;
    this.#expired = true;
    this.#fail?.(error);
    this.#onExpire();
  }
}

/**
 * A one-line description of an error for results and logs.
 *
 * @param error Anything thrown.
 * @returns Its message.
 */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
