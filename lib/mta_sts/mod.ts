/**
 * MTA-STS (RFC 8461): discovering, fetching, parsing and caching the
 * policies recipient domains publish, and matching MX hosts against them.
 * Delivery (`lib/delivery`) applies them: in `enforce` mode only MX hosts
 * matching a pattern are used, over STARTTLS with a certificate valid for the
 * MX host name; in `testing` mode failures are only logged and counted.
 *
 * - {@linkcode selectStsRecord}: the `_mta-sts.<domain>` TXT record (§3.1);
 * - {@linkcode parsePolicy} / {@linkcode formatPolicy}: the policy file (§3.2);
 * - {@linkcode mxPatternMatches}: `mx` patterns with `*.` wildcards (§4.1);
 * - {@linkcode MtaStsPolicies}: discovery and the cache by domain (§5.1, §10.2),
 *   over the `TxtResolver` of `lib/dns` and a {@linkcode PolicyFetcher};
 * - {@linkcode HttpsPolicyFetcher}: the HTTPS fetch (§3.3) with Deno's `fetch`;
 * - {@linkcode loadCaFile}: `[delivery.mta_sts] ca_file`.
 *
 * Decision: the cache is in memory only. After a restart the first delivery
 * to a domain fetches its policy again; an attacker able to block that fetch
 * at that moment can downgrade that domain until the fetch succeeds. Keeping
 * the cache in Deno KV would close that window; the queue does not share its
 * KV handle today.
 *
 * DANE (RFC 7672) is not implemented: the DNS client of `lib/dns` asks no TLSA
 * records and does not trust or ask for DNSSEC validation (the AD bit).
 *
 * @example Discover a policy and check an MX host
 * ```ts
 * import { MtaStsPolicies, policyAllowsMx } from "./mod.ts";
 * import { FakePolicyFetcher } from "./testing.ts";
 * import { CachingResolver } from "../dns/mod.ts";
 * import { FakeDnsBackend, ManualClock } from "../dns/testing.ts";
 * import assert from "node:assert/strict";
 *
 * const clock = new ManualClock();
 * const dns = new CachingResolver(
 *   new FakeDnsBackend().txt("_mta-sts.example.org", ["v=STSv1; id=2024"]),
 *   { clock },
 * );
 * const fetcher = new FakePolicyFetcher()
 *   .policy("example.org", { mode: "enforce", mx: ["*.example.org"], maxAge: 604800 });
 * const policies = new MtaStsPolicies({ dns, fetcher, clock });
 * const cached = await policies.policyFor("example.org");
 * assert.ok(cached !== undefined);
 * assert.equal(policyAllowsMx(cached.policy, "mx1.example.org"), true);
 * assert.equal(policyAllowsMx(cached.policy, "mx.attacker.example"), false);
 * ```
 *
 * @module
 */
export {
  formatPolicy,
  MAX_POLICY_AGE_SECONDS,
  MTA_STS_MODES,
  type MtaStsMode,
  type MtaStsPolicy,
  parsePolicy,
  type PolicyParseResult,
} from "./policy.ts";
export { parseStsRecord, selectStsRecord, type StsRecordResult } from "./txt_record.ts";
export { mxPatternMatches, policyAllowsMx } from "./mx_pattern.ts";
export {
  type CachedPolicy,
  MtaStsPolicies,
  type MtaStsPoliciesDeps,
  type MtaStsPoliciesOptions,
  type PolicyFetcher,
  type PolicyFetchProblem,
  type PolicyFetchResult,
} from "./policy_cache.ts";
export { HttpsPolicyFetcher, type HttpsPolicyFetcherOptions } from "./https_fetcher.ts";
export { loadCaFile } from "./trust.ts";
