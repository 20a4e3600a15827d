// DenoDnsBackend and CachingResolver against a real dnsmasq on loopback.
import assert from "node:assert/strict";
import { skipWithoutDnsmasq, startDnsmasq } from "../../tests/support/dnsmasq.ts";
import { CachingResolver } from "./caching_resolver.ts";
import { DenoDnsBackend } from "./deno_dns_backend.ts";
import { ManualClock } from "./testing.ts";

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
  name: "DenoDnsBackend + CachingResolver resolve MX, implicit MX, null MX and AAAA via dnsmasq",
  ignore,
  async fn() {
    await using dns = await startDnsmasq(RECORDS);
    const backend = new DenoDnsBackend({ nameServer: dns.nameServer, timeoutMs: 2_000 });
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
  name: "DenoDnsBackend + CachingResolver report nonexistent names as nxdomain via dnsmasq",
  ignore,
  async fn() {
    await using dns = await startDnsmasq(RECORDS);
    const backend = new DenoDnsBackend({ nameServer: dns.nameServer, timeoutMs: 2_000 });
    const resolver = new CachingResolver(backend, { clock: new ManualClock() });
    assert.deepEqual(await resolver.resolveMx("missing.test"), { kind: "nxdomain" });
    assert.deepEqual(await resolver.resolveMx("txt.test"), { kind: "nxdomain" });
    assert.deepEqual(await resolver.resolveMx("elsewhere.example"), { kind: "nxdomain" });
    assert.deepEqual(await resolver.resolveAddresses("missing.test"), { kind: "nxdomain" });
    assert.deepEqual(await backend.query("missing.test", "MX"), { kind: "no-records" });
    await resolver.resolveMx("missing.test");
    assert.deepEqual(resolver.stats(), { hits: 5, misses: 9, errors: 0, entries: 9 });
  },
});

Deno.test({
  name: "DenoDnsBackend + CachingResolver read TXT records, joining their strings, via dnsmasq",
  ignore,
  async fn() {
    await using dns = await startDnsmasq({
      txt: [
        ...RECORDS.txt,
        // dnsmasq makes "ab,cd" two character-strings of one record.
        { name: "_mta-sts.two.test", text: "v=STSv1; id=ab,cd" },
      ],
    });
    const backend = new DenoDnsBackend({ nameServer: dns.nameServer, timeoutMs: 2_000 });
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
  name: "DenoDnsBackend returns a temporary failure within timeoutMs when nobody answers",
  async fn() {
    const port = unusedUdpPort();
    const backend = new DenoDnsBackend({
      nameServer: { ipAddr: "127.0.0.1", port },
      timeoutMs: 300,
    });
    const resolver = new CachingResolver(backend, { clock: new ManualClock() });
    const started = performance.now();
    const result = await resolver.resolveMx("example.test");
    const elapsed = performance.now() - started;
    assert.deepEqual(result, {
      kind: "temporary-failure",
      reason: 'DNS query MX "example.test" timed out after 300 ms',
    });
    assert.ok(elapsed >= 290 && elapsed < 2_000, `took ${elapsed} ms`);
    assert.deepEqual(resolver.stats(), { hits: 0, misses: 1, errors: 1, entries: 0 });
  },
});

Deno.test({
  name: "DenoDnsBackend.query() rejects with the signal's reason when the caller aborts",
  async fn() {
    const port = unusedUdpPort();
    const backend = new DenoDnsBackend({ nameServer: { ipAddr: "127.0.0.1", port } });
    const controller = new AbortController();
    const query = backend.query("example.test", "A", controller.signal);
    setTimeout(() => controller.abort(new Error("shutting down")), 50);
    await assert.rejects(query, { message: "shutting down" });
    await assert.rejects(backend.query("example.test", "A", controller.signal), {
      message: "shutting down",
    });
  },
});

Deno.test("new DenoDnsBackend() rejects a timeout that is not positive", () => {
  assert.throws(() => new DenoDnsBackend({ timeoutMs: 0 }), RangeError);
  assert.throws(() => new DenoDnsBackend({ timeoutMs: NaN }), RangeError);
});

// A loopback port with nothing bound: queries to it go unanswered.
function unusedUdpPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}
