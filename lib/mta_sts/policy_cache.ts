import type { TxtResolver } from "../dns/mod.ts";
import { getLogger } from "../observe/mod.ts";
import type { MtaStsPolicy } from "./policy.ts";
import { selectStsRecord } from "./txt_record.ts";

const logger = getLogger(["empath", "mta-sts"]);

/**
 * Why a policy fetch failed, in RFC 8460 §4.3.2.2 terms: no usable answer (unreachable, a
 * timeout, a status other than 200), an answer that is not a valid policy, or a policy host
 * whose certificate did not verify.
 */
export type PolicyFetchProblem = "fetch-error" | "invalid" | "webpki-invalid";

/** What fetching a domain's policy file gave. */
export type PolicyFetchResult =
  | { readonly kind: "policy"; readonly policy: MtaStsPolicy }
  | { readonly kind: "failed"; readonly reason: string; readonly problem?: PolicyFetchProblem };

/** The port that fetches `https://mta-sts.<domain>/.well-known/mta-sts.txt` (RFC 8461 §3.3). */
export interface PolicyFetcher {
  /**
   * Fetches and parses the policy of `domain`. Never rejects: failures are values.
   *
   * @param domain The recipient domain, lowercase.
   */
  fetchPolicy(domain: string): Promise<PolicyFetchResult>;
}

/** A policy in the cache: what applies to a domain's MX deliveries. */
export interface CachedPolicy {
  /** The recipient domain, lowercase. */
  readonly domain: string;
  /** The `id` of the TXT record when the policy was fetched. */
  readonly id: string;
  readonly policy: MtaStsPolicy;
  /** When the policy was fetched, in the clock's milliseconds. */
  readonly fetchedAt: number;
  /** `fetchedAt` plus the policy's `max_age`. */
  readonly expiresAt: number;
}

/** The effects of {@linkcode MtaStsPolicies}. */
export interface MtaStsPoliciesDeps {
  /** Looks up `_mta-sts.<domain>` TXT records (a `CachingResolver` fits). */
  readonly dns: TxtResolver;
  readonly fetcher: PolicyFetcher;
  readonly clock: { now(): number };
}

/** Options of {@linkcode MtaStsPolicies}. */
export interface MtaStsPoliciesOptions {
  /** Most domains whose policies (and failed fetches) are remembered; the least recently used go first. @default {10_000} */
  readonly maxEntries?: number;
  /**
   * A cached policy whose TXT id did not change is fetched again once it is
   * this old (or half its `max_age`, if less), which extends its life; if that
   * fetch fails it is kept until it expires (RFC 8461 §10.2). @default {86_400_000}
   */
  readonly refreshAfterMs?: number;
  /** After a failed fetch, the same domain and id are not fetched again for this long. @default {300_000} */
  readonly retryAfterMs?: number;
}

/**
 * The MTA-STS policy discovery and cache of RFC 8461 §3 and §5.1, by domain:
 *
 * 1. the `_mta-sts.<domain>` TXT record is looked up (through the DNS cache);
 * 2. with no usable record (none, several, invalid, or a DNS failure) the
 *    cached policy applies while it has not expired, otherwise none;
 * 3. with a record whose id is that of the cached policy, the cached policy
 *    applies (fetched again when it is old, see `refreshAfterMs`);
 * 4. otherwise the policy is fetched over HTTPS; a new policy replaces the
 *    cached one and lives `max_age` seconds; if the fetch fails, the cached
 *    policy keeps applying until it expires, and the fetch is not tried again
 *    for `retryAfterMs`.
 *
 * Concurrent lookups of one domain share one fetch. Everything lives in
 * memory: a restart starts with an empty cache.
 *
 * @example Usage
 * ```ts
 * import { MtaStsPolicies } from "./policy_cache.ts";
 * import { FakePolicyFetcher } from "./testing.ts";
 * import { CachingResolver } from "../dns/mod.ts";
 * import { FakeDnsBackend, ManualClock } from "../dns/testing.ts";
 * import assert from "node:assert/strict";
 *
 * const clock = new ManualClock();
 * const backend = new FakeDnsBackend().txt("_mta-sts.example.org", ["v=STSv1; id=1"]);
 * const fetcher = new FakePolicyFetcher().policy("example.org", {
 *   mode: "enforce", mx: ["mx.example.org"], maxAge: 86400,
 * });
 * const policies = new MtaStsPolicies({ dns: new CachingResolver(backend, { clock }), fetcher, clock });
 * const cached = await policies.policyFor("example.org");
 * assert.equal(cached?.policy.mode, "enforce");
 * assert.equal(await policies.policyFor("other.example"), undefined);
 * ```
 */
export class MtaStsPolicies {
  readonly #deps: MtaStsPoliciesDeps;
  readonly #maxEntries: number;
  readonly #refreshAfterMs: number;
  readonly #retryAfterMs: number;
  readonly #policies = new Map<string, CachedPolicy>();
  /** Failed fetches: domain → the TXT id tried and when to try again. */
  readonly #failures = new Map<string, { id: string; retryAt: number }>();
  readonly #inflight = new Map<string, Promise<CachedPolicy | undefined>>();

  /**
   * @param deps DNS, fetcher, clock.
   * @param options Bounds and timings.
   * @throws {RangeError} If `maxEntries` is not a positive integer.
   */
  constructor(deps: MtaStsPoliciesDeps, options: MtaStsPoliciesOptions = {}) {
    const maxEntries = options.maxEntries ?? 10_000;
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(
        `Cannot create MTA-STS cache: maxEntries "${maxEntries}" is not an integer >= 1`,
      );
    }
    this.#deps = deps;
    this.#maxEntries = maxEntries;
    this.#refreshAfterMs = options.refreshAfterMs ?? 86_400_000;
    this.#retryAfterMs = options.retryAfterMs ?? 300_000;
  }

  /**
   * The policy that applies to MX deliveries for `domain` now, if any
   * (including one with mode `none`). Never rejects, except with the signal's
   * reason when `signal` aborts.
   *
   * @param domain The recipient domain, any case.
   * @param signal Stops waiting (a shared fetch goes on for the others).
   * @returns The policy, or `undefined` when the domain has none.
   */
  async policyFor(domain: string, signal?: AbortSignal): Promise<CachedPolicy | undefined> {
    const name = domain.toLowerCase().replace(/\.$/, "");
    const cached = this.#live(name);
    const txt = await this.#deps.dns.resolveTxt(`_mta-sts.${name}`, { signal });
    const record = txt.kind === "txt" ? selectStsRecord(txt.texts) : txt;
    if (record.kind !== "record") {
      if (record.kind === "invalid" || record.kind === "temporary-failure") {
        logger.debug("No usable MTA-STS record for {domain}: {reason}", {
          domain: name,
          reason: record.reason,
          cached: cached?.id,
        });
      }
      return cached;
    }
    const now = this.#deps.clock.now();
    if (cached !== undefined && cached.id === record.id && !this.#isOld(cached, now)) return cached;
    const failure = this.#failures.get(name);
    if (failure !== undefined && failure.id === record.id && now < failure.retryAt) return cached;
    let pending = this.#inflight.get(name);
    if (pending === undefined) {
      pending = this.#fetch(name, record.id, cached).finally(() => this.#inflight.delete(name));
      this.#inflight.set(name, pending);
    }
    return await abortable(pending, signal);
  }

  /**
   * The cached policies that have not expired, least recently used first.
   *
   * @returns One entry per domain.
   */
  entries(): CachedPolicy[] {
    const now = this.#deps.clock.now();
    return [...this.#policies.values()].filter((entry) => entry.expiresAt > now);
  }

  /**
   * Forgets the policy of one domain, or of every domain, and failed fetches.
   *
   * @param domain The domain; absent: all.
   * @returns How many policies were removed.
   */
  flush(domain?: string): number {
    if (domain === undefined) {
      const count = this.#policies.size;
      this.#policies.clear();
      this.#failures.clear();
      return count;
    }
    const name = domain.toLowerCase();
    this.#failures.delete(name);
    return this.#policies.delete(name) ? 1 : 0;
  }

  async #fetch(domain: string, id: string, cached?: CachedPolicy) {
    const result = await this.#deps.fetcher.fetchPolicy(domain);
    const now = this.#deps.clock.now();
    if (result.kind === "failed") {
      remember(this.#failures, domain, { id, retryAt: now + this.#retryAfterMs }, this.#maxEntries);
      logger.warn(
        cached === undefined
          ? "Cannot fetch the MTA-STS policy of {domain} (id {id}): {reason}; delivering without one"
          : "Cannot fetch the MTA-STS policy of {domain} (id {id}): {reason}; keeping policy {cached_id} until it expires",
        { domain, id, reason: result.reason, cached_id: cached?.id, expires_at: cached?.expiresAt },
      );
      return cached;
    }
    this.#failures.delete(domain);
    const { policy } = result;
    const entry = { domain, id, policy, fetchedAt: now, expiresAt: now + policy.maxAge * 1000 };
    logger.info("MTA-STS policy of {domain} (id {id}): mode {mode}, mx {mx}, max_age {max_age}", {
      domain,
      id,
      mode: policy.mode,
      mx: policy.mx.join(" "),
      max_age: policy.maxAge,
    });
    if (policy.maxAge > 0) remember(this.#policies, domain, entry, this.#maxEntries);
    else this.#policies.delete(domain);
    return entry;
  }

  #live(domain: string): CachedPolicy | undefined {
    const entry = this.#policies.get(domain);
    if (entry === undefined) return undefined;
    this.#policies.delete(domain);
    if (entry.expiresAt <= this.#deps.clock.now()) return undefined;
    this.#policies.set(domain, entry);
    return entry;
  }

  #isOld(entry: CachedPolicy, now: number): boolean {
    const lifetime = entry.expiresAt - entry.fetchedAt;
    return now - entry.fetchedAt >= Math.min(this.#refreshAfterMs, lifetime / 2);
  }
}

function remember<T>(map: Map<string, T>, key: string, value: T, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) map.delete(map.keys().next().value as string);
}

function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
