/**
 * Test doubles for MTA-STS: a scripted {@linkcode PolicyFetcher}.
 *
 * @example Usage
 * ```ts
 * import { FakePolicyFetcher } from "./testing.ts";
 * import assert from "node:assert/strict";
 *
 * const fetcher = new FakePolicyFetcher()
 *   .policy("example.org", { mode: "testing", mx: ["mx.example.org"], maxAge: 60 })
 *   .failure("broken.example", "HTTP 404");
 * assert.equal((await fetcher.fetchPolicy("example.org")).kind, "policy");
 * assert.deepEqual(await fetcher.fetchPolicy("broken.example"), { kind: "failed", reason: "HTTP 404" });
 * assert.deepEqual(fetcher.fetches, ["example.org", "broken.example"]);
 * ```
 *
 * @module
 */
import { PauseGate } from "../dns/testing.ts";
import type { MtaStsPolicy } from "./policy.ts";
import type { PolicyFetcher, PolicyFetchResult } from "./policy_cache.ts";

/** A {@linkcode PolicyFetcher} answering from a table; unknown domains fail with "HTTP 404". */
export class FakePolicyFetcher implements PolicyFetcher {
  /** Every domain fetched, in order. */
  readonly fetches: string[] = [];
  readonly #results = new Map<string, PolicyFetchResult>();
  readonly #gate = new PauseGate();

  /** Serves `policy` for `domain` from now on. Returns `this` for chaining. */
  policy(domain: string, policy: MtaStsPolicy): this {
    this.#results.set(domain, { kind: "policy", policy });
    return this;
  }

  /** Fails fetches of `domain` with `reason` from now on. Returns `this` for chaining. */
  failure(domain: string, reason: string): this {
    this.#results.set(domain, { kind: "failed", reason });
    return this;
  }

  /** Holds every fetch until the returned function is called. */
  pause(): () => void {
    return this.#gate.pause();
  }

  /** Answers from the table, after the gate opens when paused. */
  async fetchPolicy(domain: string): Promise<PolicyFetchResult> {
    this.fetches.push(domain);
    if (this.#gate.held !== undefined) await this.#gate.held;
    return this.#results.get(domain) ?? { kind: "failed", reason: "HTTP 404" };
  }
}
