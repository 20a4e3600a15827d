/**
 * What one session may still do: bad commands (and failed AUTH attempts) before `421 too many
 * errors`, and commands before `421 too many commands`.
 *
 * @module
 */

/** The limits a {@linkcode SessionBudget} counts against. */
export interface BudgetLimits {
  readonly maxErrors: number;
  readonly maxCommands: number;
}

/** Counts a session's errors and commands against its limits. */
export class SessionBudget {
  readonly #limits: BudgetLimits;
  #errors = 0;
  #commands = 0;

  constructor(limits: BudgetLimits) {
    this.#limits = limits;
  }

  /** Counts one command; true once there are more than `maxCommands`. */
  command(): boolean {
    return ++this.#commands > this.#limits.maxCommands;
  }

  /**
   * Counts a failed AUTH (a 4xx or 5xx answer other than 421) as an error, like a bad command,
   * so password guessing on one connection ends in a 421.
   *
   * @param code The code the AUTH command was answered with.
   * @returns True when this was the last error allowed.
   */
  authAnswered(code: number): boolean {
    return code >= 400 && code !== 421 && this.error();
  }

  /** Counts one error; true when it is the last one allowed (`maxErrors`). */
  error(): boolean {
    return ++this.#errors >= this.#limits.maxErrors;
  }
}
