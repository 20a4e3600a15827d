// The cache under CachingResolver: one entry per (name, type), in-flight
// queries shared, counters for the control API.
import { TtlCache } from "./_ttl_cache.ts";
import type {
  DnsAnswer,
  DnsBackend,
  DnsCacheEntry,
  DnsCacheStats,
  DnsRecordType,
} from "./types.ts";

/** How long answers live and how many are kept. */
export interface AnswerCacheOptions {
  readonly clock: { now(): number };
  readonly positiveTtlMs: number;
  readonly negativeTtlMs: number;
  readonly maxEntries: number;
}

interface Counts {
  hits: number;
  misses: number;
  errors: number;
}

/** Answers of a backend, cached per name and type; temporary failures are never stored. */
export class AnswerCache {
  readonly #backend: DnsBackend;
  readonly #options: AnswerCacheOptions;
  readonly #cache: TtlCache<DnsCacheEntry>;
  readonly #inflight = new Map<string, Promise<DnsAnswer>>();
  readonly #counts: Counts = { hits: 0, misses: 0, errors: 0 };

  constructor(backend: DnsBackend, options: AnswerCacheOptions) {
    this.#backend = backend;
    this.#options = options;
    this.#cache = new TtlCache(options.maxEntries);
  }

  /** The answer from the cache, from a query in flight, or from a new backend query. */
  query(name: string, type: DnsRecordType, signal?: AbortSignal): Promise<DnsAnswer> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const key = `${type} ${name}`;
    const cached = this.#cache.get(key, this.#options.clock.now());
    if (cached !== undefined) {
      this.#counts.hits++;
      return Promise.resolve(cached.result);
    }
    let pending = this.#inflight.get(key);
    if (pending !== undefined) {
      this.#counts.hits++;
    } else {
      this.#counts.misses++;
      pending = this.#ask(key, name, type);
      this.#inflight.set(key, pending);
    }
    return abortable(pending, signal);
  }

  // The shared query runs without any caller's signal, so one caller giving up
  // does not fail the others; the backend's own timeout bounds it.
  #ask(key: string, name: string, type: DnsRecordType): Promise<DnsAnswer> {
    const pending: Promise<DnsAnswer> = this.#backend.query(name, type)
      .catch((error): DnsAnswer => ({ kind: "temporary-failure", reason: describe(error) }))
      .then((result) => {
        if (result.kind === "temporary-failure") this.#counts.errors++;
        if (this.#inflight.get(key) !== pending) return result; // flushed meanwhile
        this.#inflight.delete(key);
        if (result.kind === "temporary-failure") return result;
        const ttl = result.kind === "records"
          ? Math.min(this.#options.positiveTtlMs, result.ttlMs ?? Infinity)
          : this.#options.negativeTtlMs;
        const expiresAt = this.#options.clock.now() + ttl;
        this.#cache.set(key, { name, type, result, expiresAt }, expiresAt);
        return result;
      });
    return pending;
  }

  stats(): DnsCacheStats {
    return { ...this.#counts, entries: this.#cache.size };
  }

  entries(): DnsCacheEntry[] {
    return [...this.#cache.live(this.#options.clock.now())].map(([, entry]) => entry);
  }

  /** Removes the entries of `name` (every entry when undefined); in-flight answers are not stored. */
  flush(name?: string): number {
    const matches = (key: string) => name === undefined || key.slice(key.indexOf(" ") + 1) === name;
    for (const key of [...this.#inflight.keys()]) {
      if (matches(key)) this.#inflight.delete(key);
    }
    return this.#cache.deleteWhere(matches);
  }
}

function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
