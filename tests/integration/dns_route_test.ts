// Where mail goes when the name servers fail: the real DNS client (WireDnsBackend) and cache
// under the delivery route resolver, against a DNS server scripted in the test.
import assert from "node:assert/strict";
import { CachingResolver, WireDnsBackend } from "../../lib/dns/mod.ts";
import { ManualClock } from "../../lib/dns/testing.ts";
import { RouteResolver } from "../../lib/delivery/mod.ts";
import { type DnsQuery, response, startScriptedDns } from "../support/scripted_dns.ts";

// SERVFAIL for servfail.test, REFUSED for refused.test, NXDOMAIN for missing.test, and an MX
// with an address for good.test.
function answer(query: DnsQuery) {
  const [{ name, type }] = query.questions!;
  if (name === "servfail.test") return [response(query, { rcode: 2 })];
  if (name === "refused.test") return [response(query, { rcode: 5 })];
  if (name === "good.test" && type === "MX") {
    const data = { preference: 10, exchange: "mx.good.test" };
    return [response(query, { answers: [{ type: "MX", name, data }] })];
  }
  if (name === "mx.good.test" && type === "A") {
    return [response(query, { answers: [{ type: "A", name, data: "192.0.2.25" }] })];
  }
  return [response(query, { rcode: name.endsWith("good.test") ? 0 : 3 })];
}

async function routesWithDns() {
  const dns = await startScriptedDns({ udp: answer });
  const backend = new WireDnsBackend({ nameServers: [dns.nameServer], timeoutMs: 500 });
  const resolver = new CachingResolver(backend, { clock: new ManualClock() });
  const routes = new RouteResolver(resolver, { routes: [], allowPrivateDestinations: false });
  return { dns, routes, resolver };
}

Deno.test("RouteResolver over WireDnsBackend defers a domain whose name server answers SERVFAIL or REFUSED", async () => {
  const { dns, routes, resolver } = await routesWithDns();
  await using _ = dns;
  for (const [domain, rcode] of [["servfail.test", "SERVFAIL"], ["refused.test", "REFUSED"]]) {
    const destination = await routes.resolve(domain);
    assert.equal(destination.kind, "deferred", JSON.stringify(destination));
    assert.match(
      destination.kind === "deferred" ? destination.reason : "",
      new RegExp(`^DNS lookup for ${domain} failed: .*answered ${rcode} \\(RCODE \\d\\)$`),
    );
  }
  // Temporary failures are not cached: the next attempt asks again.
  await routes.resolve("servfail.test");
  assert.equal(dns.queries.filter((q) => q === "udp MX servfail.test").length, 2);
  assert.equal(resolver.stats().errors, 3);
});

Deno.test("RouteResolver over WireDnsBackend fails a domain that does not exist with 5.1.2", async () => {
  const { dns, routes } = await routesWithDns();
  await using _ = dns;
  const destination = await routes.resolve("missing.test");
  assert.equal(destination.kind, "failed");
  assert.equal(destination.kind === "failed" && destination.reply.enhanced, "5.1.2");
  assert.deepEqual(dns.queries, ["udp MX missing.test"], "NXDOMAIN for MX is final");
});

Deno.test("RouteResolver over WireDnsBackend resolves MX hosts to addresses", async () => {
  const { dns, routes } = await routesWithDns();
  await using _ = dns;
  const destination = await routes.resolve("good.test");
  assert.equal(destination.kind, "smtp", JSON.stringify(destination));
  assert.deepEqual(destination.kind === "smtp" && destination.hops, [
    { name: "mx.good.test", address: "192.0.2.25", port: 25 },
  ]);
});
