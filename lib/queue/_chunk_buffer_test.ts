import assert from "node:assert/strict";
import { ChunkBuffer } from "./_chunk_buffer.ts";

Deno.test("ChunkBuffer.fill() copies until the chunk is full", () => {
  const buffer = new ChunkBuffer(10);
  const source = Uint8Array.from({ length: 25 }, (_, i) => i);
  assert.equal(buffer.fill(source, 0), 10);
  assert.equal(buffer.isFull, true);
  assert.equal(buffer.fill(source, 10), 0);
  const chunk = buffer.take();
  source.fill(0);
  assert.deepEqual(chunk, Uint8Array.from({ length: 10 }, (_, i) => i));
  assert.equal(buffer.length, 0);
});

Deno.test("ChunkBuffer.take() returns an exact-size copy of a partial chunk", () => {
  const buffer = new ChunkBuffer(64_000);
  buffer.fill(new Uint8Array([1, 2, 3]), 0);
  buffer.fill(new Uint8Array(5000).fill(9), 0);
  const chunk = buffer.take();
  assert.equal(chunk.byteLength, 5003);
  assert.equal(chunk.buffer.byteLength, 5003);
  assert.deepEqual([...chunk.subarray(0, 4)], [1, 2, 3, 9]);
  assert.equal(buffer.take().byteLength, 0);
});
