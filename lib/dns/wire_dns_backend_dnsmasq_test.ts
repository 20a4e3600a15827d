// WireDnsBackend and CachingResolver against a real dnsmasq on loopback.
import assert from "node:assert/strict";
import { skipWithoutDnsmasq, startDnsmasq } from "../../tests/support/dnsmasq.ts";
import { CachingResolver } from "./caching_resolver.ts";
import { ManualClock } from "./testing.ts";
import { WireDnsBackend } from "./wire_dns_backend.ts";

const ignore = skipWithoutDnsmasq();

const RECORDS = {
  mx: [
    { domain: "two.test", exchange: "mx2.two.test", preference: 20 },
    { domain: "two.test", exchange: "mx1.two.test", preference: 10 },
    { domain: "nomail.test", exchange: ".", preference: 0 },
  ],
  a: [
    { name: "mx1.two.test", address: "192.0.2.1" },
    { name: "mx2.two.test", address: "192.0.2.2" },
    { name: "implicit.test", address: "192.0.2.3" },
  ],
  aaaa: [
    { name: "mx2.two.test", address: "2001:db8::2" },
    { name: "v6only.test", address: "2001:db8::6" },
  ],
  txt: [{ name: "txt.test", text: "v=spf1 -all" }],
};

Deno.test({
  name: "WireDnsBackend + CachingResolver resolve MX, implicit MX, null MX and AAAA via dnsmasq",
  ignore,
  async fn() {
    await using dns = await startDnsmasq(RECORDS);
    const backend = new WireDnsBackend({ nameServers: [dns.nameServer], timeoutMs: 2_000 });
    const resolver = new CachingResolver(backend, { clock: new ManualClock() });
    assert.deepEqual(await resolver.resolveMx("Two.TEST"), {
      kind: "mx",
      hosts: [
        { exchange: "mx1.two.test", preference: 10 },
        { exchange: "mx2.two.test", preference: 20 },
      ],
    });
    assert.deepEqual(await resolver.resolveMx("implicit.test"), {
      kind: "implicit",
      hosts: [{ exchange: "implicit.test", preference: 0 }],
    });
    assert.deepEqual(await resolver.resolveMx("v6only.test"), {
      kind: "implicit",
      hosts: [{ exchange: "v6only.test", preference: 0 }],
    });
    assert.deepEqual(await resolver.resolveMx("nomail.test"), { kind: "null-mx" });
    assert.deepEqual(await resolver.resolveAddresses("mx2.two.test."), {
      kind: "addresses",
      addresses: ["192.0.2.2", "2001:db8::2"],
    });
    assert.deepEqual(await resolver.resolveAddresses("v6only.test"), {
      kind: "addresses",
      addresses: ["2001:db8::6"],
    });
  },
});

Deno.test({
  name: "WireDnsBackend + CachingResolver report nonexistent names as nxdomain via dnsmasq",
  ignore,
  async fn() {
    await using dns = await startDnsmasq(RECORDS);
    const backend = new WireDnsBackend({ nameServers: [dns.nameServer], timeoutMs: 2_000 });
    const resolver = new CachingResolver(backend, { clock: new ManualClock() });
    assert.deepEqual(await resolver.resolveMx("missing.test"), { kind: "nxdomain" });
    assert.deepEqual(await resolver.resolveMx("txt.test"), { kind: "nxdomain" });
    assert.deepEqual(await resolver.resolveMx("elsewhere.example"), { kind: "nxdomain" });
    assert.deepEqual(await resolver.resolveAddresses("missing.test"), { kind: "nxdomain" });
    await resolver.resolveMx("missing.test");
    // NXDOMAIN for MX ends a lookup without asking for A/AAAA: 7 questions, one answered again.
    assert.deepEqual(resolver.stats(), { hits: 1, misses: 7, errors: 0, entries: 7 });
  },
});

Deno.test({
  name: "WireDnsBackend + CachingResolver read TXT records, joining their strings, via dnsmasq",
  ignore,
  async fn() {
    await using dns = await startDnsmasq({
      txt: [
        ...RECORDS.txt,
        // dnsmasq makes "ab,cd" two character-strings of one record.
        { name: "_mta-sts.two.test", text: "v=STSv1; id=ab,cd" },
      ],
    });
    const backend = new WireDnsBackend({ nameServers: [dns.nameServer], timeoutMs: 2_000 });
    const resolver = new CachingResolver(backend, { clock: new ManualClock() });
    assert.deepEqual(await resolver.resolveTxt("TXT.test."), {
      kind: "txt",
      texts: ["v=spf1 -all"],
    });
    assert.deepEqual(await resolver.resolveTxt("_mta-sts.two.test"), {
      kind: "txt",
      texts: ["v=STSv1; id=abcd"],
    });
    assert.deepEqual(await resolver.resolveTxt("_mta-sts.missing.test"), { kind: "none" });
  },
});

Deno.test({
  name: "WireDnsBackend.query() tells NXDOMAIN from NODATA via dnsmasq",
  ignore,
  async fn() {
    await using dns = await startDnsmasq(RECORDS);
    const backend = new WireDnsBackend({ nameServers: [dns.nameServer], timeoutMs: 2_000 });
    assert.deepEqual(await backend.query("missing.test", "MX"), { kind: "nxdomain" });
    assert.deepEqual(await backend.query("txt.test", "MX"), { kind: "no-records" });
    assert.deepEqual(await backend.query("implicit.test", "MX"), { kind: "no-records" });
    assert.deepEqual(await backend.query("implicit.test", "A"), {
      kind: "records",
      records: ["192.0.2.3"],
      ttlMs: 0, // dnsmasq's local-ttl
    });
    assert.deepEqual(await backend.query("mx1.two.test", "AAAA"), { kind: "no-records" });
  },
});
