/**
 * Name resolution for delivery: MX lookups with the implicit MX fallback
 * (RFC 5321 §5.1) and null MX (RFC 7505), A/AAAA lookups, TXT lookups (MTA-STS
 * discovery, RFC 8461 §3.1), a bounded cache with stats and flush for the
 * control API, and the parser for the configured name server.
 *
 * Decision: queries go through `Deno.resolveDns()` ({@linkcode DenoDnsBackend}),
 * which handles UDP with TCP fallback and takes a name server
 * (`{ nameServer: { ipAddr, port } }`). It returns no TTLs, so
 * {@linkcode CachingResolver} keeps answers for a configured time: 300 s for
 * answers with records, 60 s for negative answers. Temporary failures
 * (timeouts, network errors) are never cached: the next lookup asks again,
 * while concurrent lookups of the same name share one query.
 *
 * Known limit: Deno 2.9.6 reports NXDOMAIN, NODATA and also SERVFAIL/REFUSED
 * as the same `Deno.errors.NotFound`, so a failing authoritative server looks
 * like "no records" and a domain whose servers answer SERVFAIL for MX, A and
 * AAAA resolves to `nxdomain` (a permanent failure). Only timeouts and network
 * errors are recognized as temporary. A wire-format client (for example the
 * `dns-packet` npm package over UDP/TCP) behind the same {@linkcode DnsBackend}
 * port would fix this, and is needed anyway for DANE (TLSA records, the AD bit).
 *
 * @example Resolve where mail for a domain goes
 * ```ts
 * import { CachingResolver } from "./mod.ts";
 * import { FakeDnsBackend, ManualClock } from "./testing.ts";
 * import assert from "node:assert/strict";
 *
 * const backend = new FakeDnsBackend()
 *   .mx("example.org", [["mx2.example.org.", 20], ["MX1.example.org.", 10]])
 *   .mx("nomail.example", [[".", 0]]);
 * const resolver = new CachingResolver(backend, { clock: new ManualClock() });
 * assert.deepEqual(await resolver.resolveMx("example.org"), {
 *   kind: "mx",
 *   hosts: [
 *     { exchange: "mx1.example.org", preference: 10 },
 *     { exchange: "mx2.example.org", preference: 20 },
 *   ],
 * });
 * assert.deepEqual(await resolver.resolveMx("nomail.example"), { kind: "null-mx" });
 * assert.deepEqual(await resolver.resolveMx("missing.example"), { kind: "nxdomain" });
 * ```
 *
 * @example Use a configured name server
 * ```ts ignore
 * import { CachingResolver, DenoDnsBackend, parseNameServer } from "./mod.ts";
 *
 * const backend = new DenoDnsBackend({ nameServer: parseNameServer("127.0.0.1:5353") });
 * const resolver = new CachingResolver(backend, { clock: { now: () => Date.now() } });
 * console.log(await resolver.resolveMx("example.org"));
 * ```
 *
 * @module
 */

export * from "./types.ts";
export { CachingResolver, type CachingResolverOptions } from "./caching_resolver.ts";
export { DenoDnsBackend, type DenoDnsBackendOptions } from "./deno_dns_backend.ts";
export { type NameServer, parseNameServer } from "./name_server.ts";
