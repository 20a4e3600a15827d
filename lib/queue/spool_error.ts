/**
 * Error thrown when the queue cannot accept or persist a message.
 *
 * The SMTP server maps it to a transient `451 4.3.0` reply: the client keeps
 * the message and tries again later.
 *
 * @example Catch a spool failure
 * ```ts
 * import { SpoolError } from "./spool_error.ts";
 *
 * const error = new SpoolError("Cannot commit message \"01J\": disk full");
 * console.assert(error.name === "SpoolError");
 * ```
 */
export class SpoolError extends Error {
  /**
   * @param message A sentence-case description of the failure.
   * @param options Standard error options; pass the underlying `cause`.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SpoolError";
  }
}

/** Wraps any thrown value in a {@linkcode SpoolError}, keeping existing ones as they are. */
export function toSpoolError(error: unknown, context: string): SpoolError {
  if (error instanceof SpoolError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new SpoolError(`${context}: ${detail}`, { cause: error });
}

/**
 * The message's record (envelope, recipients, DSN requests, hook additions) would not fit in
 * one Deno KV value. Retrying cannot help, so the SMTP server answers `552 5.3.4`; it checks
 * `envelopeFits()` at each RCPT so that this is rare.
 *
 * @example Usage
 * ```ts
 * import { RecordTooLargeError, SpoolError } from "./spool_error.ts";
 *
 * const error = new RecordTooLargeError("Cannot commit message \"01J\": record too large");
 * console.assert(error instanceof SpoolError && error.name === "RecordTooLargeError");
 * ```
 */
export class RecordTooLargeError extends SpoolError {
  /**
   * @param message A sentence-case description of the failure.
   * @param options Standard error options.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RecordTooLargeError";
  }
}
