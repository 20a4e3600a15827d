// Accumulates body bytes into one segment at a time, copying from the caller's buffers.

/** Largest body chunk stored under one key (Deno KV values are limited to 65,536 bytes). */
export const CHUNK_SIZE = 64_000;

/**
 * Body bytes a spool writer gathers before storing them: four chunks, written in
 * one atomic group. A message up to this size is committed in a single group
 * (chunks + record), and a large one costs one commit per 256,000 bytes instead
 * of one per chunk.
 */
export const SEGMENT_SIZE = 4 * CHUNK_SIZE;

const INITIAL_CAPACITY = 4096;

/** Splits a segment into views of at most {@linkcode CHUNK_SIZE} bytes, one per KV value. */
export function splitChunks(segment: Uint8Array): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let start = 0; start < segment.byteLength; start += CHUNK_SIZE) {
    chunks.push(segment.subarray(start, start + CHUNK_SIZE));
  }
  return chunks;
}

/**
 * Holds at most one chunk of `capacity` bytes. The backing array grows by doubling
 * so small messages do not allocate a whole chunk.
 */
export class ChunkBuffer {
  readonly #capacity: number;
  #bytes = new Uint8Array(0);
  #length = 0;

  constructor(capacity: number = SEGMENT_SIZE) {
    this.#capacity = capacity;
  }

  /** Bytes currently held. */
  get length(): number {
    return this.#length;
  }

  /** True when the buffer holds a whole chunk. */
  get isFull(): boolean {
    return this.#length === this.#capacity;
  }

  /**
   * Copies bytes from `source`, starting at `offset`, until the chunk is full.
   *
   * @returns how many bytes were copied.
   */
  fill(source: Uint8Array, offset: number): number {
    const count = Math.min(this.#capacity - this.#length, source.byteLength - offset);
    if (count <= 0) return 0;
    this.#reserve(this.#length + count);
    this.#bytes.set(source.subarray(offset, offset + count), this.#length);
    this.#length += count;
    return count;
  }

  /** A copy of the held bytes; the buffer keeps them. */
  copy(): Uint8Array {
    return this.#bytes.slice(0, this.#length);
  }

  /** Hands over the held bytes as an array of their own and empties the buffer. */
  take(): Uint8Array {
    const chunk = this.#length === this.#bytes.byteLength
      ? this.#bytes
      : this.#bytes.slice(0, this.#length);
    this.#bytes = new Uint8Array(0);
    this.#length = 0;
    return chunk;
  }

  #reserve(needed: number): void {
    if (needed <= this.#bytes.byteLength) return;
    let size = Math.max(INITIAL_CAPACITY, this.#bytes.byteLength * 2);
    while (size < needed) size *= 2;
    const grown = new Uint8Array(Math.min(size, this.#capacity));
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
  }
}
