import assert from "node:assert/strict";
import fc from "fast-check";
import { isMessageId, newMessageId } from "./message_id.ts";

const zeros = (target: Uint8Array) => target.fill(0);
const ones = (target: Uint8Array) => target.fill(0xff);

Deno.test("newMessageId() encodes time then randomness in Crockford base32", () => {
  assert.equal(newMessageId(0, zeros), "0".repeat(26));
  assert.equal(newMessageId(2 ** 48 - 1, ones), "7" + "Z".repeat(25));
  assert.equal(newMessageId(1_469_918_176_385, zeros), "01ARYZ6S41" + "0".repeat(16));
});

Deno.test("newMessageId() sorts by time and differs per call", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2 ** 48 - 2 }),
      fc.integer({ min: 1, max: 1000 }),
      (now, step) => {
        const earlier = newMessageId(now);
        const later = newMessageId(Math.min(now + step, 2 ** 48 - 1));
        assert.ok(earlier < later);
        assert.ok(isMessageId(earlier) && isMessageId(later));
      },
    ),
    { numRuns: 200 },
  );
  assert.notEqual(newMessageId(5), newMessageId(5));
});

Deno.test("newMessageId() rejects times outside 48 bits with RangeError", () => {
  for (const bad of [-1, 2 ** 48, 1.5, Number.NaN]) {
    assert.throws(() => newMessageId(bad), RangeError);
  }
});

Deno.test("isMessageId() rejects strings that are not ids", () => {
  for (const bad of ["", "01ARYZ6S41", "8" + "0".repeat(25), "0".repeat(25) + "I", "../x"]) {
    assert.equal(isMessageId(bad), false, bad);
  }
});
