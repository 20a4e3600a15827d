import assert from "node:assert/strict";
import { CachingResolver } from "./caching_resolver.ts";
import { FakeDnsBackend, ManualClock } from "./testing.ts";

function setup(maxEntries?: number) {
  const backend = new FakeDnsBackend();
  const clock = new ManualClock();
  const resolver = new CachingResolver(backend, { clock, maxEntries });
  return { backend, clock, resolver };
}

Deno.test("CachingResolver shares one query among concurrent lookups of a name", async () => {
  const { backend, resolver } = setup();
  backend.mx("example.org", [["mx.example.org", 10]]);
  const release = backend.pause();
  const lookups = [1, 2, 3].map(() => resolver.resolveMx("example.org"));
  await Promise.resolve();
  release();
  const results = await Promise.all(lookups);
  for (const result of results) assert.equal(result.kind, "mx");
  assert.deepEqual(backend.queries, ["MX example.org"]);
  assert.deepEqual(resolver.stats(), { hits: 2, misses: 1, errors: 0, entries: 1 });
});

Deno.test("CachingResolver rejects an aborted lookup without failing the others", async () => {
  const { backend, resolver } = setup();
  backend.mx("example.org", [["mx.example.org", 10]]);
  const release = backend.pause();
  const controller = new AbortController();
  const aborted = resolver.resolveMx("example.org", { signal: controller.signal });
  const other = resolver.resolveMx("example.org");
  controller.abort(new Error("shutting down"));
  await assert.rejects(aborted, { message: "shutting down" });
  release();
  assert.equal((await other).kind, "mx");
  await assert.rejects(resolver.resolveMx("example.org", { signal: controller.signal }), {
    message: "shutting down",
  });
});

Deno.test("CachingResolver.flush() removes one name or everything and returns the count", async () => {
  const { backend, resolver } = setup();
  backend.a("mx.example.org", ["192.0.2.1"]).aaaa("mx.example.org", ["2001:db8::1"]);
  backend.mx("example.org", [["mx.example.org", 10]]);
  await resolver.resolveAddresses("mx.example.org");
  await resolver.resolveMx("example.org");
  assert.equal(resolver.stats().entries, 3);
  assert.equal(resolver.flush("MX.Example.org."), 2);
  assert.equal(resolver.flush("mx.example.org"), 0);
  assert.equal(resolver.flush("not a name"), 0);
  assert.deepEqual(resolver.entries().map((entry) => `${entry.type} ${entry.name}`), [
    "MX example.org",
  ]);
  assert.equal(resolver.flush(), 1);
  await resolver.resolveMx("example.org");
  assert.equal(backend.queries.filter((query) => query === "MX example.org").length, 2);
});

Deno.test("CachingResolver.flush() keeps an answer in flight from being stored", async () => {
  const { backend, resolver } = setup();
  backend.mx("example.org", [["mx.example.org", 10]]);
  const release = backend.pause();
  const lookup = resolver.resolveMx("example.org");
  assert.equal(resolver.flush(), 0);
  release();
  assert.equal((await lookup).kind, "mx");
  assert.equal(resolver.stats().entries, 0);
});

Deno.test("CachingResolver evicts the least recently used entry beyond maxEntries", async () => {
  const { backend, resolver } = setup(2);
  for (const name of ["a.example", "b.example", "c.example"]) {
    backend.mx(name, [[`mx.${name}`, 10]]);
  }
  await resolver.resolveMx("a.example");
  await resolver.resolveMx("b.example");
  await resolver.resolveMx("a.example");
  await resolver.resolveMx("c.example");
  assert.deepEqual(resolver.entries().map((entry) => entry.name), ["a.example", "c.example"]);
  assert.equal(resolver.stats().entries, 2);
  assert.throws(() => setup(0), RangeError);
});
