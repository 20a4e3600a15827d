import assert from "node:assert/strict";
import fc from "fast-check";
import { formatDuration, parseDuration } from "./duration.ts";

Deno.test("parseDuration() reads every unit", () => {
  assert.equal(parseDuration("300ms"), 300);
  assert.equal(parseDuration("30s"), 30_000);
  assert.equal(parseDuration("5m"), 300_000);
  assert.equal(parseDuration("1h"), 3_600_000);
  assert.equal(parseDuration("5d"), 432_000_000);
  assert.equal(parseDuration("0s"), 0);
});

Deno.test("parseDuration() takes a number as milliseconds", () => {
  assert.equal(parseDuration(1500), 1500);
  assert.throws(() => parseDuration(-1), RangeError);
  assert.throws(() => parseDuration(1.5), RangeError);
});

Deno.test("parseDuration() rejects text without a known unit", () => {
  for (const text of ["", "5", "5x", "5 m", "-5m", "1.5s", "5M", "m", "5mm", "1h30m"]) {
    assert.throws(() => parseDuration(text), TypeError, `accepted "${text}"`);
  }
});

Deno.test("parseDuration() rejects values beyond the safe integer range", () => {
  assert.throws(() => parseDuration("99999999999999999d"), RangeError);
});

Deno.test("formatDuration() picks the largest exact unit", () => {
  assert.equal(formatDuration(0), "0ms");
  assert.equal(formatDuration(1500), "1500ms");
  assert.equal(formatDuration(90_000), "90s");
  assert.equal(formatDuration(300_000), "5m");
  assert.equal(formatDuration(432_000_000), "5d");
  assert.throws(() => formatDuration(-1), RangeError);
});

Deno.test("formatDuration() output round-trips through parseDuration()", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (milliseconds) => {
      assert.equal(parseDuration(formatDuration(milliseconds)), milliseconds);
    }),
  );
  const unitMilliseconds = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 100_000 }),
      fc.constantFrom("ms", "s", "m", "h", "d" as const),
      (count, unit) => {
        assert.equal(parseDuration(`${count}${unit}`), count * unitMilliseconds[unit]);
      },
    ),
  );
});
