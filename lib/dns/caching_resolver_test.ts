import assert from "node:assert/strict";
import { CachingResolver, type CachingResolverOptions } from "./caching_resolver.ts";
import { FakeDnsBackend, ManualClock } from "./testing.ts";

function setup(options: Partial<CachingResolverOptions> = {}) {
  const backend = new FakeDnsBackend();
  const clock = new ManualClock();
  const resolver = new CachingResolver(backend, { clock, random: () => 0, ...options });
  return { backend, clock, resolver };
}

Deno.test("CachingResolver.resolveMx() sorts by preference, lowercases and drops the trailing dot", async () => {
  const { backend, resolver } = setup();
  backend.mx("example.org", [["MX2.Example.org.", 20], ["mx1.example.org.", 10], [
    "mx1.example.org",
    30,
  ]]);
  assert.deepEqual(await resolver.resolveMx("EXAMPLE.org."), {
    kind: "mx",
    hosts: [
      { exchange: "mx1.example.org", preference: 10 },
      { exchange: "mx2.example.org", preference: 20 },
    ],
  });
  assert.deepEqual(backend.queries, ["MX example.org"]);
});

Deno.test("CachingResolver.resolveMx() shuffles equal preferences with the injected random", async () => {
  const records: [string, number][] = [["a.test", 10], ["b.test", 10], ["c.test", 10], [
    "z.test",
    5,
  ]];
  const order = async (random: () => number) => {
    const { backend, resolver } = setup({ random });
    backend.mx("example.org", records);
    const result = await resolver.resolveMx("example.org");
    assert.equal(result.kind, "mx");
    return result.hosts.map((host) => host.exchange);
  };
  // Fisher–Yates over [a, b, c]: random() near 1 keeps each element in place.
  assert.deepEqual(await order(() => 0.999), ["z.test", "a.test", "b.test", "c.test"]);
  assert.deepEqual(await order(() => 0), ["z.test", "b.test", "c.test", "a.test"]);
  const seen = new Set<string>();
  for (let i = 0; i < 50; i++) seen.add((await order(Math.random)).join());
  assert.ok(seen.size > 1, "equal preferences come in more than one order");
  for (const joined of seen) assert.ok(joined.startsWith("z.test,"));
});

Deno.test("CachingResolver.resolveMx() reports a null MX (RFC 7505)", async () => {
  const { backend, resolver } = setup();
  backend.mx("nomail.example", [[".", 0]]).mx("mixed.example", [[".", 0], [
    "mx.mixed.example.",
    10,
  ]]);
  assert.deepEqual(await resolver.resolveMx("nomail.example"), { kind: "null-mx" });
  assert.deepEqual(await resolver.resolveMx("mixed.example"), {
    kind: "mx",
    hosts: [{ exchange: "mx.mixed.example", preference: 10 }],
  });
});

Deno.test("CachingResolver.resolveMx() falls back to A/AAAA as an implicit MX (RFC 5321 §5.1)", async () => {
  const { backend, resolver } = setup();
  backend.aaaa("v6only.example", ["2001:db8::25"]).a("v4only.example", ["192.0.2.25"]);
  for (const domain of ["v6only.example", "V4ONLY.example."]) {
    assert.deepEqual(await resolver.resolveMx(domain), {
      kind: "implicit",
      hosts: [{ exchange: domain.toLowerCase().replace(/\.$/, ""), preference: 0 }],
    });
  }
  assert.deepEqual(backend.queries.slice(0, 3), [
    "MX v6only.example",
    "A v6only.example",
    "AAAA v6only.example",
  ]);
});

Deno.test("CachingResolver.resolveMx() is nxdomain without MX and addresses, or for invalid names", async () => {
  const { backend, resolver } = setup();
  backend.set("gone.example", "MX", { kind: "nxdomain" });
  backend.set("empty.example", "MX", { kind: "no-records" });
  assert.deepEqual(await resolver.resolveMx("gone.example"), { kind: "nxdomain" });
  assert.deepEqual(await resolver.resolveMx("empty.example"), { kind: "nxdomain" });
  assert.deepEqual(await resolver.resolveMx("bad name.example"), { kind: "nxdomain" });
  assert.deepEqual(await resolver.resolveMx(""), { kind: "nxdomain" });
  assert.deepEqual(backend.queries, [
    "MX gone.example",
    "MX empty.example",
    "A empty.example",
    "AAAA empty.example",
  ]);
});

Deno.test("CachingResolver.resolveMx() reports temporary failures of MX and of the fallback", async () => {
  const { backend, resolver } = setup();
  const failure = { kind: "temporary-failure", reason: "timed out" } as const;
  backend.set("slow.example", "MX", failure);
  backend.set("half.example", "MX", { kind: "no-records" }).set("half.example", "A", failure);
  assert.deepEqual(await resolver.resolveMx("slow.example"), failure);
  assert.deepEqual(await resolver.resolveMx("half.example"), failure);
});

Deno.test("CachingResolver.resolveAddresses() returns IPv4 then IPv6, partial answers, IP literals", async () => {
  const { backend, resolver } = setup();
  backend.a("mx.example", ["192.0.2.1", "192.0.2.2"]).aaaa("mx.example", ["2001:db8::1"]);
  backend.a("half.example", ["192.0.2.3"]);
  backend.set("half.example", "AAAA", { kind: "temporary-failure", reason: "timed out" });
  assert.deepEqual(await resolver.resolveAddresses("MX.example."), {
    kind: "addresses",
    addresses: ["192.0.2.1", "192.0.2.2", "2001:db8::1"],
  });
  assert.deepEqual(await resolver.resolveAddresses("half.example"), {
    kind: "addresses",
    addresses: ["192.0.2.3"],
  });
  assert.deepEqual(await resolver.resolveAddresses("192.0.2.9"), {
    kind: "addresses",
    addresses: ["192.0.2.9"],
  });
  assert.deepEqual(await resolver.resolveAddresses("missing.example"), { kind: "nxdomain" });
});

Deno.test("CachingResolver caches positive answers for positiveTtlMs", async () => {
  const { backend, clock, resolver } = setup({ positiveTtlMs: 1_000 });
  backend.mx("example.org", [["mx.example.org", 10]]);
  await resolver.resolveMx("example.org");
  clock.advance(999);
  await resolver.resolveMx("Example.org");
  assert.equal(backend.queries.length, 1);
  clock.advance(1);
  await resolver.resolveMx("example.org");
  assert.equal(backend.queries.length, 2);
  assert.deepEqual(resolver.stats(), { hits: 1, misses: 2, errors: 0, entries: 1 });
});

Deno.test("CachingResolver keeps an answer no longer than its records' TTL", async () => {
  const { backend, clock, resolver } = setup({ positiveTtlMs: 10_000 });
  backend.set("short.example", "A", { kind: "records", records: ["192.0.2.1"], ttlMs: 2_000 });
  backend.set("long.example", "A", { kind: "records", records: ["192.0.2.2"], ttlMs: 60_000 });
  await resolver.resolveAddresses("short.example");
  await resolver.resolveAddresses("long.example");
  const expiries = resolver.entries().filter((e) => e.type === "A").map((e) => e.expiresAt);
  assert.deepEqual(expiries, [clock.now() + 2_000, clock.now() + 10_000]);
});

Deno.test("CachingResolver caches negative answers for negativeTtlMs", async () => {
  const { backend, clock, resolver } = setup({ positiveTtlMs: 10_000, negativeTtlMs: 500 });
  await resolver.resolveMx("missing.example");
  await resolver.resolveMx("missing.example");
  assert.equal(backend.queries.length, 1);
  clock.advance(500);
  backend.mx("missing.example", [["mx.missing.example", 1]]);
  assert.equal((await resolver.resolveMx("missing.example")).kind, "mx");
  const [entry] = resolver.entries();
  assert.deepEqual(entry, {
    name: "missing.example",
    type: "MX",
    result: { kind: "records", records: [{ exchange: "mx.missing.example", preference: 1 }] },
    expiresAt: clock.now() + 10_000,
  });
});

Deno.test("CachingResolver never caches temporary failures and counts them as errors", async () => {
  const { backend, resolver } = setup();
  backend.set("slow.example", "MX", { kind: "temporary-failure", reason: "timed out" });
  await resolver.resolveMx("slow.example");
  await resolver.resolveMx("slow.example");
  assert.equal(backend.queries.length, 2);
  assert.deepEqual(resolver.stats(), { hits: 0, misses: 2, errors: 2, entries: 0 });
  assert.deepEqual(resolver.entries(), []);
});

Deno.test("CachingResolver turns a rejecting backend into a temporary failure", async () => {
  const resolver = new CachingResolver(
    { query: () => Promise.reject(new Error("socket closed")) },
    { clock: new ManualClock() },
  );
  assert.deepEqual(await resolver.resolveMx("example.org"), {
    kind: "temporary-failure",
    reason: "Error: socket closed",
  });
});

Deno.test("CachingResolver.resolveTxt() caches TXT answers like the others and never a failure", async () => {
  const { backend, clock, resolver } = setup({ positiveTtlMs: 10_000 });
  backend.txt("_mta-sts.example.org", ["v=STSv1; id=1", "other"]);
  backend.set("_mta-sts.slow.example", "TXT", { kind: "temporary-failure", reason: "timed out" });
  const expected = { kind: "txt", texts: ["v=STSv1; id=1", "other"] };
  assert.deepEqual(await resolver.resolveTxt("_MTA-STS.example.org."), expected);
  assert.deepEqual(await resolver.resolveTxt("_mta-sts.example.org"), expected);
  assert.deepEqual(await resolver.resolveTxt("_mta-sts.missing.example"), { kind: "none" });
  assert.deepEqual(await resolver.resolveTxt("not a name"), { kind: "none" });
  assert.deepEqual(await resolver.resolveTxt("_mta-sts.slow.example"), {
    kind: "temporary-failure",
    reason: "timed out",
  });
  assert.deepEqual(backend.queries, [
    "TXT _mta-sts.example.org",
    "TXT _mta-sts.missing.example",
    "TXT _mta-sts.slow.example",
  ]);
  clock.advance(10_000);
  await resolver.resolveTxt("_mta-sts.example.org");
  assert.equal(backend.queries.length, 4);
});
