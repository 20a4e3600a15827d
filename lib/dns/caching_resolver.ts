import { AnswerCache } from "./_answer_cache.ts";
import { mxFromRecords } from "./_mx_order.ts";
import { isIpLiteral, normalizeName } from "./_name.ts";
import { traceLookup } from "./_lookup_trace.ts";
import type {
  AddressResult,
  DnsAnswer,
  DnsBackend,
  DnsCacheEntry,
  DnsCacheStats,
  DnsResolver,
  MxResult,
  ResolveOptions,
  TxtResolver,
  TxtResult,
} from "./types.ts";

/** Options of {@linkcode CachingResolver}. */
export interface CachingResolverOptions {
  /** Time source for expiry, in milliseconds. */
  readonly clock: { now(): number };
  /**
   * Returns a number in [0, 1); shuffles MX hosts of equal preference.
   * @default {Math.random}
   */
  readonly random?: () => number;
  /**
   * How long answers with records are kept (record TTLs are not used).
   * @default {300_000}
   */
  readonly positiveTtlMs?: number;
  /**
   * How long "no such name" and "no records" answers are kept.
   * @default {60_000}
   */
  readonly negativeTtlMs?: number;
  /**
   * Cache bound; beyond it the least recently used entry goes.
   * @default {10_000}
   */
  readonly maxEntries?: number;
}

/**
 * A {@linkcode DnsResolver} over a {@linkcode DnsBackend} that caches each
 * (name, type) answer for a configured time, shares concurrent queries for the
 * same name, and never caches temporary failures (the next lookup asks again).
 *
 * MX lookups fall back to A/AAAA (implicit MX, RFC 5321 §5.1) and recognize a
 * null MX (RFC 7505). Names are lowercased without trailing dot; a name that
 * is not a valid host name is `nxdomain` without a query.
 *
 * @example Usage
 * ```ts
 * import { CachingResolver } from "./caching_resolver.ts";
 * import { FakeDnsBackend } from "./testing.ts";
 * import assert from "node:assert/strict";
 *
 * const backend = new FakeDnsBackend()
 *   .mx("example.org", [["mx1.example.org.", 10]])
 *   .a("mx1.example.org", ["192.0.2.1"]);
 * const resolver = new CachingResolver(backend, { clock: { now: () => Date.now() } });
 * assert.deepEqual(await resolver.resolveMx("Example.ORG"), {
 *   kind: "mx",
 *   hosts: [{ exchange: "mx1.example.org", preference: 10 }],
 * });
 * assert.deepEqual(await resolver.resolveAddresses("mx1.example.org"), {
 *   kind: "addresses",
 *   addresses: ["192.0.2.1"],
 * });
 * ```
 */
export class CachingResolver implements DnsResolver, TxtResolver {
  readonly #answers: AnswerCache;
  readonly #random: () => number;

  /**
   * @param backend Where questions go on a cache miss.
   * @param options Clock, randomness, lifetimes and bound.
   * @throws {RangeError} If `maxEntries` is not a positive integer.
   */
  constructor(backend: DnsBackend, options: CachingResolverOptions) {
    this.#random = options.random ?? Math.random;
    this.#answers = new AnswerCache(backend, {
      clock: options.clock,
      positiveTtlMs: options.positiveTtlMs ?? 300_000,
      negativeTtlMs: options.negativeTtlMs ?? 60_000,
      maxEntries: options.maxEntries ?? 10_000,
    });
  }

  /** {@inheritDoc DnsResolver.resolveMx} */
  resolveMx(domain: string, options: ResolveOptions = {}): Promise<MxResult> {
    return traceLookup(domain, "MX", () => this.#resolveMx(domain, options));
  }

  async #resolveMx(domain: string, options: ResolveOptions): Promise<MxResult> {
    const name = normalizeName(domain);
    if (name === undefined) return { kind: "nxdomain" };
    const answer = await this.#answers.query(name, "MX", options.signal);
    switch (answer.kind) {
      case "records":
        return mxFromRecords(answer.records, this.#random);
      case "nxdomain":
      case "temporary-failure":
        return answer;
      case "no-records": {
        // RFC 5321 §5.1: no MX records, so the domain itself is the exchanger if it has an address.
        const addresses = await this.#addresses(name, options.signal);
        if (addresses.kind !== "addresses") return addresses;
        return { kind: "implicit", hosts: [{ exchange: name, preference: 0 }] };
      }
    }
  }

  /** {@inheritDoc DnsResolver.resolveAddresses} */
  async resolveAddresses(host: string, options: ResolveOptions = {}): Promise<AddressResult> {
    if (isIpLiteral(host)) return { kind: "addresses", addresses: [host] };
    const name = normalizeName(host);
    if (name === undefined) return { kind: "nxdomain" };
    return await traceLookup(name, "A/AAAA", () => this.#addresses(name, options.signal));
  }

  /** {@inheritDoc TxtResolver.resolveTxt} */
  async resolveTxt(name: string, options: ResolveOptions = {}): Promise<TxtResult> {
    const normalized = normalizeName(name);
    if (normalized === undefined) return { kind: "none" };
    return await traceLookup(normalized, "TXT", async (): Promise<TxtResult> => {
      const answer = await this.#answers.query(normalized, "TXT", options.signal);
      switch (answer.kind) {
        case "records":
          return { kind: "txt", texts: answer.records.filter((r) => typeof r === "string") };
        case "nxdomain":
        case "no-records":
          return { kind: "none" };
        case "temporary-failure":
          return answer;
      }
    });
  }

  async #addresses(name: string, signal?: AbortSignal): Promise<AddressResult> {
    const answers = await Promise.all([
      this.#answers.query(name, "A", signal),
      this.#answers.query(name, "AAAA", signal),
    ]);
    return combineAddresses(answers);
  }

  /**
   * Counters since construction.
   *
   * @returns Hits (cache or shared query), misses (backend queries), errors
   * (temporary failures) and the number of entries.
   */
  stats(): DnsCacheStats {
    return this.#answers.stats();
  }

  /**
   * The live cache entries, least recently used first, for the control API.
   *
   * @returns One entry per cached (name, type).
   */
  entries(): DnsCacheEntry[] {
    return this.#answers.entries();
  }

  /**
   * Removes every cached answer, or those of one name (all record types).
   * Queries in flight for the removed names still answer their callers but
   * are not stored.
   *
   * @param domain The name to forget, any case, with or without a trailing dot.
   * @returns How many entries were removed.
   */
  flush(domain?: string): number {
    if (domain === undefined) return this.#answers.flush();
    const name = normalizeName(domain);
    return name === undefined ? 0 : this.#answers.flush(name);
  }
}

// Addresses if either family has some; otherwise a temporary failure wins over "none".
function combineAddresses(answers: DnsAnswer[]): AddressResult {
  const addresses = answers.flatMap((answer) =>
    answer.kind === "records" ? answer.records.filter((r) => typeof r === "string") : []
  );
  if (addresses.length > 0) return { kind: "addresses", addresses };
  const failures = answers.flatMap((answer) =>
    answer.kind === "temporary-failure" ? [answer.reason] : []
  );
  if (failures.length > 0) return { kind: "temporary-failure", reason: failures.join("; ") };
  return { kind: "nxdomain" };
}
