import assert from "node:assert/strict";
import { RateLimiter } from "./rate_limiter.ts";

function manualClock(start = 0) {
  const clock = { time: start, now: () => clock.time };
  return clock;
}

Deno.test("RateLimiter.take() allows a burst, then refills at the rate", () => {
  const clock = manualClock();
  const limiter = new RateLimiter({ clock, defaults: { ratePerSecond: 2, burst: 3 } });
  for (let i = 0; i < 3; i++) assert.deepEqual(limiter.take("example.org"), { allowed: true });
  assert.deepEqual(limiter.take("example.org"), { allowed: false, retryAfterMs: 500 });
  clock.time = 250;
  assert.deepEqual(limiter.take("example.org"), { allowed: false, retryAfterMs: 250 });
  clock.time = 500;
  assert.deepEqual(limiter.take("example.org"), { allowed: true });
  clock.time = 60_000; // a long idle period refills only up to the burst
  for (let i = 0; i < 3; i++) assert.equal(limiter.take("example.org").allowed, true);
  assert.equal(limiter.take("example.org").allowed, false);
});

Deno.test("RateLimiter.take() keeps keys apart, case-insensitively, and honours overrides", () => {
  const clock = manualClock();
  const limiter = new RateLimiter({
    clock,
    defaults: { ratePerSecond: 10, burst: 1 },
    overrides: { "slow.example": { ratePerSecond: 1 / 60, burst: 1 } },
  });
  assert.equal(limiter.take("a.example").allowed, true);
  assert.equal(limiter.take("A.EXAMPLE").allowed, false);
  assert.equal(limiter.take("b.example").allowed, true);
  assert.equal(limiter.take("Slow.Example").allowed, true);
  assert.deepEqual(limiter.take("slow.example"), { allowed: false, retryAfterMs: 60_000 });
});

Deno.test("RateLimiter.take() accepts an explicit time and ignores a clock going back", () => {
  const clock = manualClock(10_000);
  const limiter = new RateLimiter({ clock, defaults: { ratePerSecond: 1, burst: 1 } });
  assert.equal(limiter.take("k").allowed, true);
  assert.equal(limiter.take("k", 5_000).allowed, false);
  assert.equal(limiter.take("k", 11_000).allowed, true);
});

Deno.test("RateLimiter.setLimit() changes, caps and removes an override", () => {
  const clock = manualClock();
  const limiter = new RateLimiter({ clock, defaults: { ratePerSecond: 1, burst: 5 } });
  assert.equal(limiter.take("k").allowed, true); // 4 tokens left
  limiter.setLimit("K", { ratePerSecond: 1, burst: 2 });
  assert.deepEqual(limiter.snapshot(), [{ key: "k", tokens: 2, ratePerSecond: 1, burst: 2 }]);
  assert.deepEqual(limiter.limits(), {
    defaults: { ratePerSecond: 1, burst: 5 },
    overrides: { k: { ratePerSecond: 1, burst: 2 } },
  });
  limiter.setLimit("k", undefined);
  assert.deepEqual(limiter.limits().overrides, {});
  limiter.setDefaults({ ratePerSecond: 3, burst: 1 });
  assert.deepEqual(limiter.snapshot(), [{ key: "k", tokens: 1, ratePerSecond: 3, burst: 1 }]);
});

Deno.test("RateLimiter.snapshot() reports refilled tokens", () => {
  const clock = manualClock();
  const limiter = new RateLimiter({ clock, defaults: { ratePerSecond: 4, burst: 4 } });
  limiter.take("k");
  limiter.take("k");
  clock.time = 250;
  assert.deepEqual(limiter.snapshot(), [{ key: "k", tokens: 3, ratePerSecond: 4, burst: 4 }]);
});

Deno.test("RateLimiter keeps memory bounded: full buckets go first, then the least recently used", () => {
  const clock = manualClock();
  const limiter = new RateLimiter({ clock, defaults: { ratePerSecond: 1, burst: 1 }, maxKeys: 3 });
  for (const key of ["a", "b", "c"]) limiter.take(key);
  clock.time = 500;
  limiter.take("d"); // a, b, c still refilling: the oldest (a) goes
  assert.deepEqual(limiter.snapshot().map((b) => b.key), ["b", "c", "d"]);
  clock.time = 1_200; // b and c are full again, d (taken at 500) is not
  limiter.take("c"); // order now b, d, c
  limiter.take("e"); // b is full and dropped; d is busy, so the sweep stops there
  assert.deepEqual(limiter.snapshot().map((b) => b.key), ["d", "c", "e"]);
  for (let i = 0; i < 100; i++) limiter.take(`key${i}`);
  assert.ok(limiter.snapshot().length <= 3);
});

Deno.test("RateLimiter rejects limits without a positive rate or a burst of at least 1", () => {
  const clock = manualClock();
  assert.throws(
    () => new RateLimiter({ clock, defaults: { ratePerSecond: 0, burst: 1 } }),
    RangeError,
  );
  assert.throws(
    () => new RateLimiter({ clock, defaults: { ratePerSecond: 1, burst: 0 } }),
    RangeError,
  );
  const limiter = new RateLimiter({ clock, defaults: { ratePerSecond: 1, burst: 1 } });
  assert.throws(() => limiter.setLimit("k", { ratePerSecond: NaN, burst: 1 }), RangeError);
  assert.throws(
    () => new RateLimiter({ clock, defaults: { ratePerSecond: 1, burst: 1 }, maxKeys: 0 }),
    RangeError,
  );
});
