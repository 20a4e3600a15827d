import assert from "node:assert/strict";
import { openFixture, READ_TOKEN } from "./testing.ts";

Deno.test("GET /v1/dns/cache lists counters and entries", async () => {
  await using fixture = await openFixture();
  await fixture.dns.resolveMx("example.org");
  const response = await fixture.call("/v1/dns/cache", { token: READ_TOKEN });
  assert.equal(response.status, 200);
  const cache = await response.json();
  assert.equal(cache.stats.misses, fixture.dns.stats().misses);
  assert.ok(
    cache.entries.some((entry: { name: string; type: string }) =>
      entry.name === "example.org" && entry.type === "MX"
    ),
  );
});

Deno.test("DELETE /v1/dns/cache/:domain flushes one name; DELETE /v1/dns/cache flushes all", async () => {
  await using fixture = await openFixture();
  await fixture.dns.resolveMx("example.org");
  await fixture.dns.resolveAddresses("mx.example.org");
  const before = fixture.dns.entries().length;
  assert.ok(before >= 2);

  const one = await fixture.call("/v1/dns/cache/Example.ORG", { method: "DELETE" });
  assert.equal(one.status, 200);
  const removed = (await one.json()).removed;
  assert.ok(removed >= 1);
  assert.ok(fixture.dns.entries().every((entry) => entry.name !== "example.org"));
  assert.equal(fixture.dns.entries().length, before - removed);

  const all = await fixture.call("/v1/dns/cache", { method: "DELETE" });
  assert.deepEqual(await all.json(), { removed: before - removed });
  assert.deepEqual(fixture.dns.entries(), []);

  const queries = fixture.backend.queries.length;
  await fixture.dns.resolveMx("example.org");
  assert.ok(fixture.backend.queries.length > queries);
});
