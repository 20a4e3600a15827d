/**
 * Connections per destination host, with Postfix-style slow start: begin
 * with a few, add one per success up to a maximum, halve on congestion.
 *
 * @module
 */

/** Options of {@link HostLimiter}. */
export interface HostLimiterOptions {
  /** Concurrency a host starts with (Postfix `initial_destination_concurrency`). @default {5} */
  initial?: number;
  /** Highest concurrency per host (Postfix `default_destination_concurrency_limit`). @default {10} */
  max?: number;
  /** Most hosts remembered; idle hosts are forgotten first. @default {10000} */
  maxHosts?: number;
}

/**
 * How a connection ended, as the limiter sees it:
 * - `success`: a message was delivered; the window grows by one.
 * - `congestion`: the connection failed or the host answered `421`; the window halves.
 * - `neutral`: anything else (a rejection, an aborted attempt); no change.
 */
export type HostOutcome = "success" | "congestion" | "neutral";

/** One host, as {@link HostLimiter.snapshot} reports it. */
export interface HostSnapshot {
  /** Destination host. */
  host: string;
  /** Connections in use. */
  active: number;
  /** Current concurrency window. */
  limit: number;
}

interface HostWindow {
  active: number;
  limit: number;
}

/**
 * Per-host concurrency windows.
 *
 * A host starts at `initial` concurrent connections, grows by one after
 * each success up to `max` (additive increase, as Postfix's positive
 * feedback) and halves, never below one, on a connection failure or `421`
 * (multiplicative decrease, as TCP: a host saying "too many connections"
 * is usually well over its limit, and halving finds it in a few steps
 * where Postfix's -1 would take many). One connection always stays allowed;
 * deciding that a host is dead is the circuit breaker's job. An idle host
 * whose window is back at `initial` or above is forgotten, as Postfix's
 * queue manager does; a shrunk window is remembered so a throttling host
 * stays throttled.
 *
 * @example
 * ```ts
 * import { HostLimiter } from "./host_limiter.ts";
 * import assert from "node:assert/strict";
 * const hosts = new HostLimiter({ initial: 2, max: 3 });
 * assert.equal(hosts.tryAcquire("mx.example"), true);
 * assert.equal(hosts.tryAcquire("mx.example"), true);
 * assert.equal(hosts.tryAcquire("mx.example"), false);
 * hosts.release("mx.example", "success"); // the window grows to 3
 * assert.deepEqual(hosts.snapshot(), [{ host: "mx.example", active: 1, limit: 3 }]);
 * ```
 */
export class HostLimiter {
  readonly #initial: number;
  readonly #max: number;
  readonly #maxHosts: number;
  readonly #hosts = new Map<string, HostWindow>();

  /**
   * Creates the limiter.
   *
   * @param options Initial and maximum concurrency, memory bound.
   * @throws {RangeError} If a value is not an integer >= 1 or `initial` exceeds `max`.
   */
  constructor(options: HostLimiterOptions = {}) {
    this.#max = positiveInteger("max", options.max ?? 10);
    this.#initial = positiveInteger("initial", options.initial ?? Math.min(5, this.#max));
    this.#maxHosts = positiveInteger("maxHosts", options.maxHosts ?? 10_000);
    if (this.#initial > this.#max) {
      throw new RangeError(
        `Cannot create host limiter: initial "${this.#initial}" exceeds max "${this.#max}"`,
      );
    }
  }

  /**
   * Takes a connection slot for `host` if its window has room.
   *
   * @param host Destination host name or address; compared case-insensitively.
   * @returns `true` if the caller may connect; it must then call {@link release}.
   */
  tryAcquire(host: string): boolean {
    const name = host.toLowerCase();
    const window = this.#hosts.get(name) ?? this.#create(name);
    if (window.active >= window.limit) return false;
    window.active++;
    return true;
  }

  /**
   * Gives a slot back and adjusts the window by the outcome.
   *
   * @param host The host passed to {@link tryAcquire}.
   * @param outcome How the connection ended.
   * @throws {RangeError} If `host` has no slot taken.
   */
  release(host: string, outcome: HostOutcome): void {
    const name = host.toLowerCase();
    const window = this.#hosts.get(name);
    if (window === undefined || window.active === 0) {
      throw new RangeError(`Cannot release host "${host}": no connection slot is taken`);
    }
    window.active--;
    if (outcome === "success") window.limit = Math.min(this.#max, window.limit + 1);
    if (outcome === "congestion") window.limit = Math.max(1, Math.floor(window.limit / 2));
    if (window.active === 0 && window.limit >= this.#initial) this.#hosts.delete(name);
  }

  /** Every host remembered: hosts with connections in use and hosts with a shrunk window. */
  snapshot(): HostSnapshot[] {
    return [...this.#hosts].map(([host, { active, limit }]) => ({ host, active, limit }));
  }

  #create(name: string): HostWindow {
    if (this.#hosts.size >= this.#maxHosts) {
      for (const [key, window] of this.#hosts) {
        if (window.active === 0) {
          this.#hosts.delete(key);
          break;
        }
      }
    }
    const window = { active: 0, limit: this.#initial };
    this.#hosts.set(name, window);
    return window;
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`Cannot create host limiter: ${name} "${value}" is not an integer >= 1`);
  }
  return value;
}
