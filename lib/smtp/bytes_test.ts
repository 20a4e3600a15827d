import assert from "node:assert/strict";
import fc from "fast-check";
import { binaryBytes, binaryString, concatBytes } from "./bytes.ts";

Deno.test("concatBytes() joins the parts in order into a new array", () => {
  assert.deepEqual(concatBytes([]), new Uint8Array());
  const parts = [new Uint8Array([1, 2]), new Uint8Array(), new Uint8Array([3])];
  assert.deepEqual(concatBytes(parts), new Uint8Array([1, 2, 3]));
  const single = new Uint8Array([4, 5]);
  const copy = concatBytes([single]);
  assert.deepEqual(copy, single);
  copy[0] = 9;
  assert.equal(single[0], 4, "a single part is copied too");
});

Deno.test("concatBytes() honours subarray views and keeps every octet", () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 20 }), { maxLength: 8 }), (arrays) => {
      const views = arrays.map((array) => array.subarray(array.length >> 2));
      assert.deepEqual([...concatBytes(views)], views.flatMap((view) => [...view]));
    }),
  );
});

Deno.test("binaryString() and binaryBytes() keep every octet", () => {
  const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
  assert.deepEqual(binaryBytes(binaryString(bytes)), bytes);
  const long = new Uint8Array(20_000).fill(0x41);
  assert.equal(binaryString(long), "A".repeat(20_000));
});
