import assert from "node:assert/strict";
import { TtlCache } from "./_ttl_cache.ts";

Deno.test("TtlCache.get() returns a value until it expires, then removes it", () => {
  const cache = new TtlCache<string>(10);
  cache.set("a", "one", 100);
  assert.equal(cache.get("a", 99), "one");
  assert.equal(cache.get("a", 100), undefined);
  assert.equal(cache.size, 0);
});

Deno.test("TtlCache.set() evicts the least recently used entry beyond the bound", () => {
  const cache = new TtlCache<number>(2);
  cache.set("a", 1, 1000);
  cache.set("b", 2, 1000);
  cache.get("a", 0);
  cache.set("c", 3, 1000);
  assert.equal(cache.size, 2);
  assert.equal(cache.get("b", 0), undefined);
  assert.equal(cache.get("a", 0), 1);
  assert.equal(cache.get("c", 0), 3);
});

Deno.test("TtlCache.deleteWhere() and live() filter entries", () => {
  const cache = new TtlCache<number>(10);
  cache.set("MX a", 1, 50);
  cache.set("A a", 2, 1000);
  cache.set("A b", 3, 1000);
  assert.deepEqual([...cache.live(100)], [["A a", 2, 1000], ["A b", 3, 1000]]);
  assert.equal(cache.deleteWhere((key) => key.endsWith(" a")), 2);
  assert.equal(cache.size, 1);
});

Deno.test("new TtlCache() rejects a bound that is not a positive integer", () => {
  assert.throws(() => new TtlCache(0), RangeError);
  assert.throws(() => new TtlCache(1.5), RangeError);
});
