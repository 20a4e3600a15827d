/**
 * Test doubles for code that resolves names: a scripted {@linkcode DnsBackend},
 * a clock that moves only when told to (also the queue's, through `lib/queue/testing.ts`)
 * and the gate the fakes' `pause()` is made of (also the MTA-STS policy fetcher's).
 *
 * @example Usage
 * ```ts
 * import { CachingResolver } from "./mod.ts";
 * import { FakeDnsBackend, ManualClock } from "./testing.ts";
 * import assert from "node:assert/strict";
 *
 * const backend = new FakeDnsBackend().mx("example.org", [["mx.example.org", 10]]);
 * const resolver = new CachingResolver(backend, { clock: new ManualClock() });
 * assert.equal((await resolver.resolveMx("example.org")).kind, "mx");
 * assert.deepEqual(backend.queries, ["MX example.org"]);
 * ```
 *
 * @module
 */
import type { DnsAnswer, DnsBackend, DnsRecordType } from "./types.ts";

/**
 * A {@linkcode DnsBackend} answering from a table. Names without any answer
 * are `nxdomain`; a name with answers for other types is `no-records`.
 */
export class FakeDnsBackend implements DnsBackend {
  /** Every question asked, as `"TYPE name"`, in order. */
  readonly queries: string[] = [];
  readonly #answers = new Map<string, DnsAnswer>();
  readonly #gate = new PauseGate();

  /** Sets the answer to one question. Returns `this` for chaining. */
  set(name: string, type: DnsRecordType, answer: DnsAnswer): this {
    this.#answers.set(`${type} ${name}`, answer);
    return this;
  }

  /** Sets MX records as `[exchange, preference]` pairs. */
  mx(name: string, records: [string, number][]): this {
    const mx = records.map(([exchange, preference]) => ({ exchange, preference }));
    return this.set(name, "MX", { kind: "records", records: mx });
  }

  /** Sets A records. */
  a(name: string, addresses: string[]): this {
    return this.set(name, "A", { kind: "records", records: addresses });
  }

  /** Sets AAAA records. */
  aaaa(name: string, addresses: string[]): this {
    return this.set(name, "AAAA", { kind: "records", records: addresses });
  }

  /** Sets TXT records, one text per record. */
  txt(name: string, texts: string[]): this {
    return this.set(name, "TXT", { kind: "records", records: texts });
  }

  /** Holds every answer until the returned function is called. */
  pause(): () => void {
    return this.#gate.pause();
  }

  /** Answers from the table, after the gate opens when paused. */
  async query(name: string, type: DnsRecordType, signal?: AbortSignal): Promise<DnsAnswer> {
    signal?.throwIfAborted();
    this.queries.push(`${type} ${name}`);
    if (this.#gate.held !== undefined) await this.#gate.held;
    const answer = this.#answers.get(`${type} ${name}`);
    if (answer !== undefined) return answer;
    const known = [...this.#answers.keys()].some((key) => key.endsWith(` ${name}`));
    return known ? { kind: "no-records" } : { kind: "nxdomain" };
  }
}

/** A clock that moves only when told to. */
export class ManualClock {
  #now: number;

  /** @param now The starting time in milliseconds. */
  constructor(now = 1_700_000_000_000) {
    this.#now = now;
  }

  /** The current time in milliseconds. */
  now(): number {
    return this.#now;
  }

  /** Moves the clock forward by `ms`. */
  advance(ms: number): void {
    this.#now += ms;
  }
}

/**
 * Holds callers while paused: each fake's `pause()` in one place.
 *
 * @example Usage
 * ```ts
 * import { PauseGate } from "./testing.ts";
 * import assert from "node:assert/strict";
 *
 * const gate = new PauseGate();
 * const release = gate.pause();
 * const passed = gate.held?.then(() => "passed");
 * release();
 * assert.equal(await passed, "passed");
 * assert.equal(gate.held, undefined);
 * ```
 */
export class PauseGate {
  #held: Promise<void> | undefined;

  /** What a caller waits for while paused; `undefined` (nothing to wait for) otherwise. */
  get held(): Promise<void> | undefined {
    return this.#held;
  }

  /** Holds callers until the returned function is called. */
  pause(): () => void {
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#held = promise;
    return () => {
      this.#held = undefined;
      resolve();
    };
  }
}
