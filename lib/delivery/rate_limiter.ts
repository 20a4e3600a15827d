/**
 * Per-destination token buckets: at most `burst` deliveries at once, refilled
 * at `ratePerSecond`. The clock is injected; nothing here sleeps.
 *
 * @module
 */
import type { Clock } from "../queue/mod.ts";

/** A token-bucket limit. */
export interface RateLimit {
  /** Tokens added per second; > 0. */
  ratePerSecond: number;
  /** Bucket size: deliveries allowed at once after an idle period; >= 1. */
  burst: number;
}

/** Options of {@link RateLimiter}. */
export interface RateLimiterOptions {
  /** Source of the current time. */
  clock: Clock;
  /** The limit of every key without an override. */
  defaults: RateLimit;
  /** Limits per key (domain or MX rollup key), lowercase. */
  overrides?: Record<string, RateLimit>;
  /**
   * Most buckets kept in memory. Full buckets are dropped first (a full
   * bucket is the same as no bucket); beyond that the least recently used
   * bucket is dropped, which gives its key a fresh burst.
   *
   * @default {10000}
   */
  maxKeys?: number;
}

/** Answer of {@link RateLimiter.take}. */
export type RateDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

/** One bucket, as {@link RateLimiter.snapshot} reports it. */
export interface RateBucketSnapshot extends RateLimit {
  /** The key (domain or rollup key). */
  key: string;
  /** Tokens available now (fractional). */
  tokens: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * Token buckets keyed by destination.
 *
 * @example
 * ```ts
 * import { RateLimiter } from "./rate_limiter.ts";
 * import assert from "node:assert/strict";
 * let now = 0;
 * const limiter = new RateLimiter({ clock: { now: () => now }, defaults: { ratePerSecond: 1, burst: 1 } });
 * assert.deepEqual(limiter.take("example.org"), { allowed: true });
 * assert.deepEqual(limiter.take("example.org"), { allowed: false, retryAfterMs: 1000 });
 * now = 1000;
 * assert.deepEqual(limiter.take("example.org"), { allowed: true });
 * ```
 */
export class RateLimiter {
  readonly #clock: Clock;
  readonly #maxKeys: number;
  readonly #buckets = new Map<string, Bucket>();
  readonly #overrides = new Map<string, RateLimit>();
  #defaults: RateLimit;

  /**
   * Creates the limiter.
   *
   * @param options Clock, default limit, overrides and memory bound.
   * @throws {RangeError} If a limit has a rate <= 0 or a burst < 1, or `maxKeys` < 1.
   */
  constructor(options: RateLimiterOptions) {
    this.#clock = options.clock;
    this.#defaults = checkLimit("defaults", options.defaults);
    this.#maxKeys = options.maxKeys ?? 10_000;
    if (!Number.isSafeInteger(this.#maxKeys) || this.#maxKeys < 1) {
      throw new RangeError(`Cannot create rate limiter: maxKeys "${this.#maxKeys}" is not >= 1`);
    }
    for (const [key, limit] of Object.entries(options.overrides ?? {})) this.setLimit(key, limit);
  }

  /**
   * Takes one token for `key` if there is one.
   *
   * @param key Destination key; compared case-insensitively.
   * @param now The current time; defaults to the clock.
   * @returns `{ allowed: true }`, or how long until a token is available.
   */
  take(key: string, now: number = this.#clock.now()): RateDecision {
    const name = key.toLowerCase();
    const limit = this.#limitOf(name);
    const bucket = this.#refill(name, limit, now);
    this.#buckets.delete(name); // re-insert: the map stays in least-recently-used order
    this.#buckets.set(name, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return {
      allowed: false,
      retryAfterMs: Math.ceil(((1 - bucket.tokens) * 1000) / limit.ratePerSecond),
    };
  }

  /**
   * Sets (or with `undefined`, removes) the limit of one key, for example on
   * a configuration reload. An existing bucket keeps its tokens, capped at
   * the new burst.
   *
   * @param key Destination key; compared case-insensitively.
   * @param limit The new limit, or `undefined` to use the defaults again.
   * @throws {RangeError} If the limit has a rate <= 0 or a burst < 1.
   */
  setLimit(key: string, limit: RateLimit | undefined): void {
    const name = key.toLowerCase();
    if (limit === undefined) this.#overrides.delete(name);
    else this.#overrides.set(name, checkLimit(`"${key}"`, limit));
    const bucket = this.#buckets.get(name);
    if (bucket !== undefined) bucket.tokens = Math.min(bucket.tokens, this.#limitOf(name).burst);
  }

  /**
   * Replaces the default limit. Existing buckets keep their tokens, capped at the new burst.
   *
   * @param limit The new default limit.
   * @throws {RangeError} If the limit has a rate <= 0 or a burst < 1.
   */
  setDefaults(limit: RateLimit): void {
    this.#defaults = checkLimit("defaults", limit);
    for (const [name, bucket] of this.#buckets) {
      bucket.tokens = Math.min(bucket.tokens, this.#limitOf(name).burst);
    }
  }

  /** The configured limits: the defaults and every override. */
  limits(): { defaults: RateLimit; overrides: Record<string, RateLimit> } {
    return {
      defaults: { ...this.#defaults },
      overrides: Object.fromEntries(
        [...this.#overrides].map(([key, limit]) => [key, { ...limit }]),
      ),
    };
  }

  /** The buckets in memory, with their tokens refilled to now. */
  snapshot(now: number = this.#clock.now()): RateBucketSnapshot[] {
    return [...this.#buckets].map(([key, bucket]) => {
      const limit = this.#limitOf(key);
      const tokens = refilled(bucket, limit, now);
      return { key, tokens, ratePerSecond: limit.ratePerSecond, burst: limit.burst };
    });
  }

  #limitOf(name: string): RateLimit {
    return this.#overrides.get(name) ?? this.#defaults;
  }

  #refill(name: string, limit: RateLimit, now: number): Bucket {
    const bucket = this.#buckets.get(name);
    if (bucket !== undefined) {
      bucket.tokens = refilled(bucket, limit, now);
      bucket.updatedAt = Math.max(bucket.updatedAt, now);
      return bucket;
    }
    if (this.#buckets.size >= this.#maxKeys) this.#evict(now);
    return { tokens: limit.burst, updatedAt: now };
  }

  /** Drops full buckets from the least recently used end, then the oldest one if still at the bound. */
  #evict(now: number): void {
    for (const [key, bucket] of this.#buckets) {
      const limit = this.#limitOf(key);
      if (refilled(bucket, limit, now) < limit.burst) break;
      this.#buckets.delete(key);
    }
    if (this.#buckets.size >= this.#maxKeys) {
      const oldest = this.#buckets.keys().next().value;
      if (oldest !== undefined) this.#buckets.delete(oldest);
    }
  }
}

function refilled(bucket: Bucket, limit: RateLimit, now: number): number {
  const elapsedMs = Math.max(0, now - bucket.updatedAt); // a clock going back adds nothing
  return Math.min(limit.burst, bucket.tokens + (elapsedMs * limit.ratePerSecond) / 1000);
}

function checkLimit(what: string, limit: RateLimit): RateLimit {
  const { ratePerSecond, burst } = limit;
  if (!(Number.isFinite(ratePerSecond) && ratePerSecond > 0)) {
    throw new RangeError(`Cannot use rate limit ${what}: rate "${ratePerSecond}" is not > 0`);
  }
  if (!(Number.isFinite(burst) && burst >= 1)) {
    throw new RangeError(`Cannot use rate limit ${what}: burst "${burst}" is not >= 1`);
  }
  return { ratePerSecond, burst };
}
