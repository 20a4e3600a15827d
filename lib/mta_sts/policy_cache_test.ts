import assert from "node:assert/strict";
import type { TxtResolver, TxtResult } from "../dns/mod.ts";
import { ManualClock } from "../dns/testing.ts";
import type { MtaStsPolicy } from "./policy.ts";
import { MtaStsPolicies, type MtaStsPoliciesOptions } from "./policy_cache.ts";
import { FakePolicyFetcher } from "./testing.ts";

const DAY = 86_400_000;
const ENFORCE: MtaStsPolicy = { mode: "enforce", mx: ["mx.example.org"], maxAge: 7 * 86_400 };
const TESTING: MtaStsPolicy = { mode: "testing", mx: ["*.example.org"], maxAge: 7 * 86_400 };

/** TXT answers set directly, so a test decides what each lookup sees. */
class ScriptedTxt implements TxtResolver {
  readonly answers = new Map<string, TxtResult>();
  lookups = 0;

  record(domain: string, text: string): void {
    this.answers.set(`_mta-sts.${domain}`, { kind: "txt", texts: [text] });
  }

  resolveTxt(name: string): Promise<TxtResult> {
    this.lookups++;
    return Promise.resolve(this.answers.get(name) ?? { kind: "none" });
  }
}

function setup(options: MtaStsPoliciesOptions = {}) {
  const clock = new ManualClock();
  const dns = new ScriptedTxt();
  const fetcher = new FakePolicyFetcher();
  const policies = new MtaStsPolicies({ dns, fetcher, clock }, options);
  return { clock, dns, fetcher, policies };
}

Deno.test("MtaStsPolicies.policyFor() fetches a policy once and serves it from the cache", async () => {
  const { clock, dns, fetcher, policies } = setup();
  dns.record("example.org", "v=STSv1; id=1");
  fetcher.policy("example.org", ENFORCE);
  const first = await policies.policyFor("Example.ORG");
  assert.deepEqual(first, {
    domain: "example.org",
    id: "1",
    policy: ENFORCE,
    fetchedAt: clock.now(),
    expiresAt: clock.now() + 7 * DAY,
  });
  clock.advance(DAY / 2);
  assert.deepEqual(await policies.policyFor("example.org"), first);
  assert.deepEqual(fetcher.fetches, ["example.org"]);
  assert.equal(dns.lookups, 2);
  assert.deepEqual(policies.entries(), [first]);
});

Deno.test("MtaStsPolicies.policyFor() has no policy for a domain without an STS record", async () => {
  const { dns, fetcher, policies } = setup();
  dns.answers.set("_mta-sts.example.org", { kind: "txt", texts: ["v=spf1 -all"] });
  assert.equal(await policies.policyFor("example.org"), undefined);
  assert.equal(await policies.policyFor("nothing.example"), undefined);
  assert.deepEqual(fetcher.fetches, []);
});

Deno.test("MtaStsPolicies.policyFor() fetches again when the TXT id changes", async () => {
  const { clock, dns, fetcher, policies } = setup();
  dns.record("example.org", "v=STSv1; id=1");
  fetcher.policy("example.org", ENFORCE);
  await policies.policyFor("example.org");
  clock.advance(60_000);
  dns.record("example.org", "v=STSv1; id=2");
  fetcher.policy("example.org", TESTING);
  const next = await policies.policyFor("example.org");
  assert.equal(next?.id, "2");
  assert.deepEqual(next?.policy, TESTING);
  assert.equal(next?.fetchedAt, clock.now());
  assert.deepEqual(fetcher.fetches, ["example.org", "example.org"]);
});

Deno.test("MtaStsPolicies.policyFor() keeps an unexpired policy when a refresh fails (RFC 8461 §5.1)", async () => {
  const { clock, dns, fetcher, policies } = setup({ retryAfterMs: 300_000 });
  dns.record("example.org", "v=STSv1; id=1");
  fetcher.policy("example.org", ENFORCE);
  const cached = await policies.policyFor("example.org");
  dns.record("example.org", "v=STSv1; id=2");
  fetcher.failure("example.org", "HTTP status 500");
  clock.advance(DAY);
  assert.deepEqual(await policies.policyFor("example.org"), cached);
  // No new fetch until retryAfterMs has passed.
  clock.advance(299_999);
  assert.deepEqual(await policies.policyFor("example.org"), cached);
  assert.equal(fetcher.fetches.length, 2);
  clock.advance(1);
  assert.deepEqual(await policies.policyFor("example.org"), cached);
  assert.equal(fetcher.fetches.length, 3);
  // Once it expires, and nothing better can be fetched, there is no policy.
  clock.advance(6 * DAY);
  assert.equal(await policies.policyFor("example.org"), undefined);
  assert.deepEqual(policies.entries(), []);
});

Deno.test("MtaStsPolicies.policyFor() applies the cached policy when the TXT record vanishes or fails", async () => {
  const { clock, dns, fetcher, policies } = setup();
  dns.record("example.org", "v=STSv1; id=1");
  fetcher.policy("example.org", ENFORCE);
  const cached = await policies.policyFor("example.org");
  const unusable: TxtResult[] = [
    { kind: "none" },
    { kind: "temporary-failure", reason: "timed out" },
    { kind: "txt", texts: ["v=STSv1; id=2", "v=STSv1; id=3"] },
    { kind: "txt", texts: ["v=STSv1; id=not-valid"] },
  ];
  for (const answer of unusable) {
    dns.answers.set("_mta-sts.example.org", answer);
    assert.deepEqual(await policies.policyFor("example.org"), cached, JSON.stringify(answer));
  }
  assert.equal(fetcher.fetches.length, 1);
  clock.advance(7 * DAY);
  assert.equal(await policies.policyFor("example.org"), undefined);
});

Deno.test("MtaStsPolicies.policyFor() delivers without a policy when the first fetch fails", async () => {
  const { clock, dns, fetcher, policies } = setup({ retryAfterMs: 60_000 });
  dns.record("example.org", "v=STSv1; id=1");
  fetcher.failure("example.org", "connection refused");
  assert.equal(await policies.policyFor("example.org"), undefined);
  assert.equal(await policies.policyFor("example.org"), undefined);
  assert.equal(fetcher.fetches.length, 1);
  fetcher.policy("example.org", ENFORCE);
  clock.advance(60_000);
  assert.equal((await policies.policyFor("example.org"))?.policy.mode, "enforce");
});

Deno.test("MtaStsPolicies.policyFor() refreshes an old policy with the same id, extending its life", async () => {
  const { clock, dns, fetcher, policies } = setup({ refreshAfterMs: DAY });
  dns.record("example.org", "v=STSv1; id=1");
  fetcher.policy("example.org", ENFORCE);
  await policies.policyFor("example.org");
  clock.advance(DAY);
  const refreshed = await policies.policyFor("example.org");
  assert.equal(fetcher.fetches.length, 2);
  assert.equal(refreshed?.expiresAt, clock.now() + 7 * DAY);
  // A policy with a short max_age is refreshed after half of it.
  fetcher.policy("short.example", { ...ENFORCE, maxAge: 600 });
  dns.record("short.example", "v=STSv1; id=1");
  await policies.policyFor("short.example");
  clock.advance(299_000);
  await policies.policyFor("short.example");
  assert.equal(fetcher.fetches.filter((d) => d === "short.example").length, 1);
  clock.advance(1_000);
  await policies.policyFor("short.example");
  assert.equal(fetcher.fetches.filter((d) => d === "short.example").length, 2);
});

Deno.test("MtaStsPolicies.policyFor() shares one fetch between concurrent lookups", async () => {
  const { dns, fetcher, policies } = setup();
  dns.record("example.org", "v=STSv1; id=1");
  fetcher.policy("example.org", ENFORCE);
  const release = fetcher.pause();
  const lookups = [1, 2, 3].map(() => policies.policyFor("example.org"));
  await new Promise((resolve) => setTimeout(resolve, 0));
  release();
  const results = await Promise.all(lookups);
  assert.deepEqual(fetcher.fetches, ["example.org"]);
  for (const result of results) assert.equal(result?.policy.mode, "enforce");
});

Deno.test("MtaStsPolicies.policyFor() rejects with the signal's reason but the fetch goes on", async () => {
  const { dns, fetcher, policies } = setup();
  dns.record("example.org", "v=STSv1; id=1");
  fetcher.policy("example.org", ENFORCE);
  const release = fetcher.pause();
  const controller = new AbortController();
  const lookup = policies.policyFor("example.org", controller.signal);
  await new Promise((resolve) => setTimeout(resolve, 0));
  controller.abort(new Error("stopping"));
  await assert.rejects(lookup, { message: "stopping" });
  release();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(policies.entries().length, 1);
});

Deno.test("MtaStsPolicies uses a max_age of 0 once without caching it", async () => {
  const { dns, fetcher, policies } = setup();
  dns.record("example.org", "v=STSv1; id=1");
  fetcher.policy("example.org", { ...ENFORCE, maxAge: 0 });
  assert.equal((await policies.policyFor("example.org"))?.policy.maxAge, 0);
  await policies.policyFor("example.org");
  assert.equal(fetcher.fetches.length, 2);
  assert.deepEqual(policies.entries(), []);
});

Deno.test("MtaStsPolicies keeps at most maxEntries domains, dropping the least recently used", async () => {
  const { dns, fetcher, policies } = setup({ maxEntries: 2 });
  for (const domain of ["a.example", "b.example", "c.example"]) {
    dns.record(domain, "v=STSv1; id=1");
    fetcher.policy(domain, ENFORCE);
  }
  await policies.policyFor("a.example");
  await policies.policyFor("b.example");
  await policies.policyFor("a.example");
  await policies.policyFor("c.example");
  assert.deepEqual(policies.entries().map((entry) => entry.domain), ["a.example", "c.example"]);
  assert.throws(() => setup({ maxEntries: 0 }), RangeError);
});

Deno.test("MtaStsPolicies.flush() forgets one domain or all", async () => {
  const { dns, fetcher, policies } = setup();
  for (const domain of ["a.example", "b.example"]) {
    dns.record(domain, "v=STSv1; id=1");
    fetcher.policy(domain, ENFORCE);
    await policies.policyFor(domain);
  }
  assert.equal(policies.flush("A.example"), 1);
  assert.equal(policies.flush("a.example"), 0);
  assert.deepEqual(policies.entries().map((entry) => entry.domain), ["b.example"]);
  assert.equal(policies.flush(), 1);
  assert.deepEqual(policies.entries(), []);
});
