import assert from "node:assert/strict";
import fc from "fast-check";
import { isExpired, nextAttemptAt, shouldWarnDelay } from "./retry.ts";

const SCHEDULE = [60e3, 300e3, 900e3, 3600e3, 14400e3];
const NOW = 1_700_000_000_000;

Deno.test("nextAttemptAt() walks the schedule and repeats its last entry", () => {
  const middle = () => 0.5; // a factor of exactly 1
  const delays = [1, 2, 3, 4, 5, 6, 50].map((attempts) =>
    nextAttemptAt({ attempts, now: NOW, schedule: SCHEDULE, random: middle }) - NOW
  );
  assert.deepEqual(delays, [60e3, 300e3, 900e3, 3600e3, 14400e3, 14400e3, 14400e3]);
});

Deno.test("nextAttemptAt() applies jitter between (1 - jitter) and (1 + jitter)", () => {
  const at = (random: number, jitter?: number) =>
    nextAttemptAt({ attempts: 1, now: 0, schedule: [100_000], jitter, random: () => random });
  assert.equal(at(0), 90_000);
  assert.equal(at(0.999_999), 109_999);
  assert.equal(at(0, 0.5), 50_000);
  assert.equal(at(0.3, 0), 100_000);
});

Deno.test("nextAttemptAt() never goes below now nor above (1 + jitter) x the delay (property)", () => {
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 1000 }),
    fc.array(fc.integer({ min: 0, max: 10 ** 9 }), { minLength: 1, maxLength: 8 }),
    fc.double({ min: 0, max: 1, noNaN: true }),
    fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    (attempts, schedule, jitter, random) => {
      const base = schedule[Math.min(attempts, schedule.length) - 1];
      const next = nextAttemptAt({ attempts, now: NOW, schedule, jitter, random: () => random });
      const delay = next - NOW;
      return Number.isInteger(delay) && delay >= 0 &&
        delay >= Math.floor(base * (1 - jitter)) - 1 &&
        delay <= base * (1 + jitter);
    },
  ));
});

Deno.test("nextAttemptAt() caps the next attempt at expiry", () => {
  const options = { attempts: 5, now: 1000, schedule: SCHEDULE, random: () => 0.5 };
  assert.equal(nextAttemptAt({ ...options, expiresAt: 5000 }), 5000);
  assert.equal(nextAttemptAt({ ...options, expiresAt: 500 }), 1000);
  assert.equal(nextAttemptAt({ ...options, expiresAt: 10 ** 12 }), 1000 + 14400e3);
});

Deno.test("nextAttemptAt() rejects bad input with RangeError", () => {
  const ok = { attempts: 1, now: 0, schedule: SCHEDULE, random: () => 0.5 };
  for (
    const bad of [
      { ...ok, attempts: 0 },
      { ...ok, attempts: 1.5 },
      { ...ok, schedule: [] },
      { ...ok, schedule: [-1] },
      { ...ok, schedule: [Infinity] },
      { ...ok, jitter: -0.1 },
      { ...ok, jitter: 1.5 },
      { ...ok, jitter: NaN },
      { ...ok, random: () => 1 },
      { ...ok, random: () => NaN },
    ]
  ) {
    assert.throws(() => nextAttemptAt(bad), RangeError);
  }
});

Deno.test("isExpired() is true from expiresAt on", () => {
  const message = { createdAt: 0, expiresAt: 5 * 86_400_000 };
  assert.equal(isExpired(message, 5 * 86_400_000 - 1), false);
  assert.equal(isExpired(message, 5 * 86_400_000), true);
  assert.equal(isExpired({ expiresAt: 10 }, 11), true);
});

Deno.test("shouldWarnDelay() warns once, after the delay, before expiry, when enabled", () => {
  const base = { createdAt: 0, expiresAt: 100, warnAfterMs: 40, warned: false };
  assert.equal(shouldWarnDelay({ ...base, now: 39 }), false);
  assert.equal(shouldWarnDelay({ ...base, now: 40 }), true);
  assert.equal(shouldWarnDelay({ ...base, now: 40, warned: true }), false);
  assert.equal(shouldWarnDelay({ ...base, now: 100 }), false);
  assert.equal(shouldWarnDelay({ ...base, now: 50, warnAfterMs: 0 }), false);
});
