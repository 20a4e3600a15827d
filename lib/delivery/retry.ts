/**
 * Retry timing as pure functions: when to try a deferred message again,
 * when it expires and when to warn its sender. Time and randomness are
 * inputs; nothing here reads a clock.
 *
 * @module
 */

/** Options of {@link nextAttemptAt}. */
export interface NextAttemptOptions {
  /** Attempts made so far, at least 1 (the one that just deferred counts). */
  attempts: number;
  /** The current time in milliseconds. */
  now: number;
  /**
   * Delays in milliseconds after attempt 1, 2, …; the last one repeats,
   * e.g. `[60_000, 300_000, 900_000, 3_600_000, 14_400_000]`.
   */
  schedule: readonly number[];
  /**
   * Spread as a fraction of the delay: the delay is scaled by a factor
   * drawn from `[1 - jitter, 1 + jitter)`, so deferred messages for one
   * destination do not all come back at once.
   *
   * @default {0.1}
   */
  jitter?: number;
  /** Uniform random number in `[0, 1)`, like `Math.random`. */
  random: () => number;
  /** When the message expires; the next attempt is never scheduled after it. */
  expiresAt?: number;
}

/**
 * Computes when to try again after `attempts` attempts.
 *
 * The delay is `schedule[attempts - 1]` (the last entry once attempts run
 * past the end), scaled by a random factor in `[1 - jitter, 1 + jitter)` and
 * rounded down: it is never negative and never above `(1 + jitter) × delay`.
 * With `expiresAt`, the result is capped there so the expiry (and its
 * bounce) happens on time.
 *
 * @param options Attempts, time, schedule, jitter and randomness.
 * @returns The next attempt time in milliseconds.
 * @throws {RangeError} If `attempts` is not a positive integer, the schedule is
 * empty or has a negative or non-finite entry, `jitter` is outside `[0, 1]` or
 * `random()` returns a value outside `[0, 1)`.
 *
 * @example
 * ```ts
 * import { nextAttemptAt } from "./retry.ts";
 * import assert from "node:assert/strict";
 * const schedule = [60_000, 300_000];
 * assert.equal(nextAttemptAt({ attempts: 1, now: 0, schedule, random: () => 0.5 }), 60_000);
 * assert.equal(nextAttemptAt({ attempts: 9, now: 0, schedule, jitter: 0, random: Math.random }), 300_000);
 * ```
 */
export function nextAttemptAt(options: NextAttemptOptions): number {
  const { attempts, now, schedule, jitter = 0.1, random, expiresAt } = options;
  if (!Number.isSafeInteger(attempts) || attempts < 1) {
    throw new RangeError(`Cannot schedule a retry: attempts "${attempts}" is not an integer >= 1`);
  }
  if (schedule.length === 0 || !schedule.every((ms) => Number.isFinite(ms) && ms >= 0)) {
    throw new RangeError("Cannot schedule a retry: the schedule needs delays >= 0 milliseconds");
  }
  if (!(jitter >= 0 && jitter <= 1)) {
    throw new RangeError(`Cannot schedule a retry: jitter "${jitter}" is not within 0-1`);
  }
  const draw = random();
  if (!(draw >= 0 && draw < 1)) {
    throw new RangeError(`Cannot schedule a retry: random() returned "${draw}", not within [0, 1)`);
  }
  const base = schedule[Math.min(attempts, schedule.length) - 1];
  const delay = Math.max(0, Math.floor(base * (1 + jitter * (2 * draw - 1))));
  const next = now + delay;
  return expiresAt === undefined ? next : Math.min(next, Math.max(now, expiresAt));
}

/** The times {@link isExpired} needs from a queued message. */
export interface ExpiryTimes {
  /** When the message was queued, in milliseconds. */
  createdAt?: number;
  /** When undelivered recipients expire, in milliseconds. */
  expiresAt: number;
}

/**
 * Tells whether a message has been queued too long: its undelivered
 * recipients are then failed and bounced instead of retried.
 *
 * @param message The message's expiry time.
 * @param now The current time in milliseconds.
 * @returns `true` from `expiresAt` on.
 *
 * @example
 * ```ts
 * import { isExpired } from "./retry.ts";
 * import assert from "node:assert/strict";
 * assert.equal(isExpired({ createdAt: 0, expiresAt: 1000 }, 999), false);
 * assert.equal(isExpired({ createdAt: 0, expiresAt: 1000 }, 1000), true);
 * ```
 */
export function isExpired(message: ExpiryTimes, now: number): boolean {
  return now >= message.expiresAt;
}

/** Options of {@link shouldWarnDelay}. */
export interface DelayWarningOptions {
  /** When the message was queued, in milliseconds. */
  createdAt: number;
  /** When it expires, in milliseconds; no warning is due once it has. */
  expiresAt: number;
  /** The current time in milliseconds. */
  now: number;
  /** Warn once a message has waited this long; `0` turns warnings off (Postfix `delay_warning_time`). */
  warnAfterMs: number;
  /** Whether the sender was already warned about this message. */
  warned: boolean;
}

/**
 * Tells whether to send the sender a "delayed" DSN now: once per message,
 * after it has waited `warnAfterMs`, and not once it has expired (it then
 * gets a "failed" DSN instead).
 *
 * @param options Times and whether a warning was sent.
 * @returns `true` if a delay warning is due.
 *
 * @example
 * ```ts
 * import { shouldWarnDelay } from "./retry.ts";
 * import assert from "node:assert/strict";
 * const times = { createdAt: 0, expiresAt: 86_400_000, warnAfterMs: 14_400_000 };
 * assert.equal(shouldWarnDelay({ ...times, now: 14_400_000, warned: false }), true);
 * assert.equal(shouldWarnDelay({ ...times, now: 14_400_000, warned: true }), false);
 * ```
 */
export function shouldWarnDelay(options: DelayWarningOptions): boolean {
  const { createdAt, expiresAt, now, warnAfterMs, warned } = options;
  if (warned || warnAfterMs <= 0 || now >= expiresAt) return false;
  return now - createdAt >= warnAfterMs;
}
