/**
 * Name resolution for delivery: MX lookups with the implicit MX fallback
 * (RFC 5321 §5.1) and null MX (RFC 7505), A/AAAA lookups, TXT lookups (MTA-STS
 * discovery, RFC 8461 §3.1), a bounded cache with stats and flush for the
 * control API, and the parser for the configured name server.
 *
 * Decision: queries go through {@linkcode WireDnsBackend}, a small DNS client
 * of our own (RFC 1035 messages encoded and decoded by the `dns-packet` npm
 * package; UDP with EDNS0 through `node:dgram`, TCP when an answer is
 * truncated). `Deno.resolveDns()` was used before, but Deno 2.9.6 reports
 * NXDOMAIN, NODATA, SERVFAIL and REFUSED alike as `Deno.errors.NotFound`, so a
 * domain whose servers failed (a DNSSEC failure, a lame delegation) looked
 * non-existent and its mail bounced. Seeing the RCODE, the backend reports
 * SERVFAIL, REFUSED and every other error RCODE as a temporary failure (the
 * message is deferred, as Postfix does) and only NXDOMAIN as `nxdomain`.
 *
 * The name servers are `[dns] name_server` when set, otherwise the
 * `nameserver` lines of /etc/resolv.conf (read on every query, so a changed
 * file applies at once; `127.0.0.1:53` when it names none), asked in order:
 * each one twice over UDP before the next. Search domains and the other
 * resolv.conf options do not apply: names are always fully qualified.
 *
 * {@linkcode CachingResolver} keeps answers for a configured time, 300 s for
 * answers with records and 60 s for negative answers (record TTLs are not
 * used yet). Temporary failures are never cached: the next lookup asks again,
 * while concurrent lookups of the same name share one query.
 *
 * Not done: DNSSEC validation (the AD bit is not asked for or trusted) and
 * TLSA records, which DANE (RFC 7672) would need; both fit behind the same
 * {@linkcode DnsBackend} port.
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
 * import { CachingResolver, parseNameServer, WireDnsBackend } from "./mod.ts";
 *
 * const backend = new WireDnsBackend({ nameServers: [parseNameServer("127.0.0.1:5353")] });
 * const resolver = new CachingResolver(backend, { clock: { now: () => Date.now() } });
 * console.log(await resolver.resolveMx("example.org"));
 * ```
 *
 * @module
 */

export * from "./types.ts";
export { CachingResolver, type CachingResolverOptions } from "./caching_resolver.ts";
export { type NameServer, parseNameServer } from "./name_server.ts";
export {
  selectTagRecord,
  type TagRecordFields,
  tagRecordFields,
  type TagRecordSelection,
} from "./tag_record.ts";
export { WireDnsBackend, type WireDnsBackendOptions } from "./wire_dns_backend.ts";
