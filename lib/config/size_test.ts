import assert from "node:assert/strict";
import fc from "fast-check";
import { parseSize } from "./size.ts";

Deno.test("parseSize() reads decimal and binary units", () => {
  assert.equal(parseSize("35MB"), 35_000_000);
  assert.equal(parseSize("10MiB"), 10 * 1024 * 1024);
  assert.equal(parseSize("512KB"), 512_000);
  assert.equal(parseSize("512KiB"), 524_288);
  assert.equal(parseSize("2GB"), 2_000_000_000);
  assert.equal(parseSize("1GiB"), 1_073_741_824);
  assert.equal(parseSize("100B"), 100);
  assert.equal(parseSize("35 mb"), 35_000_000);
});

Deno.test("parseSize() takes a number as bytes", () => {
  assert.equal(parseSize(35_000_000), 35_000_000);
  assert.throws(() => parseSize(-1), RangeError);
  assert.throws(() => parseSize(0.5), RangeError);
});

Deno.test("parseSize() rejects unknown units and malformed text", () => {
  for (const text of ["", "MB", "5TB", "1.5MB", "-5", "5 M B", "0x10"]) {
    assert.throws(() => parseSize(text), TypeError, `accepted "${text}"`);
  }
});

Deno.test("parseSize() rejects values beyond the safe integer range", () => {
  assert.throws(() => parseSize("9999999999999GiB"), RangeError);
});

Deno.test("parseSize() reads any integer string as bytes", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (bytes) => {
      assert.equal(parseSize(String(bytes)), bytes);
      assert.equal(parseSize(`${bytes}B`), bytes);
    }),
  );
});
