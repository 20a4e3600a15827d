import assert from "node:assert/strict";
import fc from "fast-check";
import { formatRate, parseRate } from "./rate.ts";

Deno.test("parseRate() reads every unit as events per second", () => {
  assert.equal(parseRate("10/s"), 10);
  assert.equal(parseRate("120/m"), 2);
  assert.equal(parseRate("3600/h"), 1);
  assert.equal(parseRate("1/m"), 1 / 60);
  assert.equal(parseRate(" 0.5/s "), 0.5);
  assert.equal(parseRate("10"), 10);
});

Deno.test("parseRate() takes a number as per second", () => {
  assert.equal(parseRate(10), 10);
  assert.equal(parseRate(0.25), 0.25);
});

Deno.test("parseRate() rejects text that is not a rate", () => {
  for (
    const text of ["", "ten/s", "10/d", "10/", "/s", "10 /s", "-1/s", "10/S", "10/sec", "1/s/s"]
  ) {
    assert.throws(() => parseRate(text), TypeError, `accepted "${text}"`);
  }
});

Deno.test("parseRate() rejects zero, negative and non-finite rates", () => {
  for (const rate of ["0/s", "0", 0, -1, Number.NaN, Number.POSITIVE_INFINITY, "1e999/s"]) {
    assert.throws(() => parseRate(rate), RangeError, `accepted ${String(rate)}`);
  }
});

Deno.test("parseRate() reads N/s, N/m and N/h as N divided by the period", () => {
  const unit = fc.constantFrom(["s", 1], ["m", 60], ["h", 3_600]);
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 1_000_000_000 }), unit, (count, [name, seconds]) => {
      assert.equal(parseRate(`${count}/${name}`), count / (seconds as number));
    }),
  );
});

Deno.test("formatRate() round-trips through parseRate() for N/s, N/m and N/h", () => {
  const text = fc.tuple(fc.integer({ min: 1, max: 1_000_000_000 }), fc.constantFrom("s", "m", "h"))
    .map(([count, unit]) => `${count}/${unit}`);
  fc.assert(
    fc.property(text, (rate) => {
      const perSecond = parseRate(rate);
      assert.equal(parseRate(formatRate(perSecond)), perSecond);
    }),
  );
});

Deno.test("formatRate() round-trips any positive number", () => {
  const rate = fc.double({ min: Number.MIN_VALUE, noNaN: true, noDefaultInfinity: true });
  fc.assert(fc.property(rate, (perSecond) => {
    assert.equal(parseRate(formatRate(perSecond)), perSecond);
  }));
});

Deno.test("formatRate() prefers whole numbers per second, then per minute, then per hour", () => {
  assert.equal(formatRate(10), "10/s");
  assert.equal(formatRate(0.5), "30/m");
  assert.equal(formatRate(1 / 3_600), "1/h");
  assert.equal(formatRate(1 / 7_200), "0.0001388888888888889");
  assert.throws(() => formatRate(0), RangeError);
});
