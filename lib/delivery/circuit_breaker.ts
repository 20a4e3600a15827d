/**
 * Circuit breakers per destination: after repeated temporary failures stop
 * trying for a while, then let one probe through to see whether the
 * destination is back. The clock is injected; nothing here sleeps.
 *
 * @module
 */
import type { Clock } from "../queue/mod.ts";

/** Options of {@link CircuitBreakers}. */
export interface CircuitBreakerOptions {
  /** Source of the current time. */
  clock: Clock;
  /** Temporary failures within `windowMs` that open a breaker. @default {5} */
  threshold?: number;
  /** Window in which failures are counted, in milliseconds. @default {60000} */
  windowMs?: number;
  /** How long an open breaker refuses attempts, in milliseconds. @default {300000} */
  openMs?: number;
  /**
   * How long a half-open breaker waits for its probe's result before it lets
   * another probe through, so a lost result cannot wedge it. @default {600000}
   */
  probeTimeoutMs?: number;
  /** Most breakers kept in memory; idle closed ones are dropped first. @default {10000} */
  maxKeys?: number;
}

/** The state of one breaker. */
export type CircuitState = "closed" | "open" | "half-open";

/** Answer of {@link CircuitBreakers.allow}. */
export type CircuitDecision =
  | { allowed: true; probe: boolean }
  | { allowed: false; retryAt: number };

/**
 * The result of an attempt, as the breaker sees it. A `permanent-failure` is
 * a reply from a working server, so it counts as a sign of life like a success.
 */
export type CircuitOutcome = "success" | "temporary-failure" | "permanent-failure";

/** One breaker, as {@link CircuitBreakers.states} reports it. */
export interface CircuitSnapshot {
  /** Destination key. */
  key: string;
  /** Current state. */
  state: CircuitState;
  /** Temporary failures within the window (closed state). */
  failures: number;
  /** When the breaker last opened, in milliseconds. */
  openedAt?: number;
  /** Times the breaker opened, re-openings after a failed probe included. */
  trips: number;
  /** Times a probe succeeded and closed the breaker. */
  recoveries: number;
}

interface Breaker {
  state: CircuitState;
  failures: number[];
  openedAt?: number;
  probeStartedAt?: number;
  trips: number;
  recoveries: number;
}

/**
 * Circuit breakers keyed by destination (domain, MX host or rollup key).
 *
 * Closed → open after `threshold` temporary failures within `windowMs`; open
 * for `openMs`; then half-open, where exactly one attempt (the probe) is
 * allowed: success closes the breaker, a temporary failure opens it again.
 * Permanent failures never count as failures: they are replies from a
 * working server, so they clear the failure count and close a half-open
 * breaker. Results reported while open are ignored (they come from attempts
 * that started before it opened). A success in the closed state clears the
 * failure count: the breaker watches for destinations that are down, and
 * one accepted message proves this one is up.
 *
 * @example
 * ```ts
 * import { CircuitBreakers } from "./circuit_breaker.ts";
 * import assert from "node:assert/strict";
 * let now = 0;
 * const breakers = new CircuitBreakers({ clock: { now: () => now }, threshold: 2 });
 * breakers.record("mx.example", "temporary-failure");
 * breakers.record("mx.example", "temporary-failure");
 * assert.deepEqual(breakers.allow("mx.example"), { allowed: false, retryAt: 300_000 });
 * now = 300_000;
 * assert.deepEqual(breakers.allow("mx.example"), { allowed: true, probe: true });
 * ```
 */
export class CircuitBreakers {
  readonly #clock: Clock;
  readonly #threshold: number;
  readonly #windowMs: number;
  readonly #openMs: number;
  readonly #probeTimeoutMs: number;
  readonly #maxKeys: number;
  readonly #breakers = new Map<string, Breaker>();
  /** Trips and recoveries of every breaker ever, kept across `reset()` and eviction. */
  readonly #totals = { trips: 0, recoveries: 0 };

  /**
   * Creates the breakers.
   *
   * @param options Clock, threshold, window, open time and memory bound.
   * @throws {RangeError} If `threshold` or `maxKeys` is not an integer >= 1, or a time is negative.
   */
  constructor(options: CircuitBreakerOptions) {
    this.#clock = options.clock;
    this.#threshold = positiveInteger("threshold", options.threshold ?? 5);
    this.#maxKeys = positiveInteger("maxKeys", options.maxKeys ?? 10_000);
    this.#windowMs = duration("windowMs", options.windowMs ?? 60_000);
    this.#openMs = duration("openMs", options.openMs ?? 300_000);
    this.#probeTimeoutMs = duration("probeTimeoutMs", options.probeTimeoutMs ?? 600_000);
  }

  /**
   * Asks whether an attempt to `key` may start now. In the half-open state
   * the first caller gets `probe: true` and everyone else is refused until
   * the probe's result is recorded (or `probeTimeoutMs` passes).
   *
   * @param key Destination key.
   * @returns Allowed (and whether this attempt is the probe), or when to ask again.
   */
  allow(key: string): CircuitDecision {
    const breaker = this.#breakers.get(key);
    if (breaker === undefined || breaker.state === "closed") return { allowed: true, probe: false };
    const now = this.#clock.now();
    if (breaker.state === "open") {
      const retryAt = breaker.openedAt! + this.#openMs;
      if (now < retryAt) return { allowed: false, retryAt };
      breaker.state = "half-open";
    } else {
      const retryAt = breaker.probeStartedAt! + this.#probeTimeoutMs;
      if (now < retryAt) return { allowed: false, retryAt };
    }
    breaker.probeStartedAt = now;
    return { allowed: true, probe: true };
  }

  /**
   * Records the result of an attempt to `key`.
   *
   * @param key Destination key.
   * @param outcome What happened.
   */
  record(key: string, outcome: CircuitOutcome): void {
    const breaker = this.#breakers.get(key);
    if (outcome !== "temporary-failure") {
      if (breaker === undefined || breaker.state === "open") return;
      if (breaker.state === "half-open") {
        breaker.recoveries++;
        this.#totals.recoveries++;
      }
      this.#close(breaker);
      return;
    }
    const now = this.#clock.now();
    const current = breaker ?? this.#create(key);
    if (current.state === "open") return;
    if (current.state === "half-open") return this.#open(current, now);
    current.failures = current.failures.filter((at) => now - at < this.#windowMs);
    current.failures.push(now);
    if (current.failures.length >= this.#threshold) this.#open(current, now);
  }

  /**
   * Forgets `key`'s breaker: it is closed with no failures, and its counters restart.
   *
   * @param key Destination key.
   */
  reset(key: string): void {
    this.#breakers.delete(key);
  }

  /**
   * Times any breaker opened and closed after a successful probe since
   * creation; unlike the per-breaker counts of {@link states}, these never go
   * back (for metrics).
   */
  counters(): { trips: number; recoveries: number } {
    return { ...this.#totals };
  }

  /** Every breaker in memory. */
  states(): CircuitSnapshot[] {
    const now = this.#clock.now();
    return [...this.#breakers].map(([key, breaker]) => {
      const failures = breaker.state === "closed"
        ? breaker.failures.filter((at) => now - at < this.#windowMs).length
        : breaker.failures.length;
      const snapshot: CircuitSnapshot = {
        key,
        state: breaker.state,
        failures,
        trips: breaker.trips,
        recoveries: breaker.recoveries,
      };
      if (breaker.openedAt !== undefined) snapshot.openedAt = breaker.openedAt;
      return snapshot;
    });
  }

  #open(breaker: Breaker, now: number): void {
    breaker.state = "open";
    breaker.openedAt = now;
    breaker.probeStartedAt = undefined;
    breaker.failures = [];
    breaker.trips++;
    this.#totals.trips++;
  }

  #close(breaker: Breaker): void {
    breaker.state = "closed";
    breaker.failures = [];
    breaker.probeStartedAt = undefined;
  }

  #create(key: string): Breaker {
    if (this.#breakers.size >= this.#maxKeys) this.#evict();
    const breaker: Breaker = { state: "closed", failures: [], trips: 0, recoveries: 0 };
    this.#breakers.set(key, breaker);
    return breaker;
  }

  /** Drops closed breakers (oldest first, fewest failures being the common case), else the oldest. */
  #evict(): void {
    for (const [key, breaker] of this.#breakers) {
      if (breaker.state === "closed") {
        this.#breakers.delete(key);
        return;
      }
    }
    const oldest = this.#breakers.keys().next().value;
    if (oldest !== undefined) this.#breakers.delete(oldest);
  }
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot create circuit breakers: ${name} "${value}" is not an integer >= 1`,
    );
  }
  return value;
}

function duration(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(
      `Cannot create circuit breakers: ${name} "${value}" is not >= 0 milliseconds`,
    );
  }
  return value;
}
