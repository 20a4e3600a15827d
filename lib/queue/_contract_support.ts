// Helpers shared by the queue conformance suite and the queue tests.
import { concatBytes } from "../smtp/mod.ts";
import type { EnvelopeInit, QueueDeps, QueueStore } from "./types.ts";

/** The queue tests' clock is the one of the DNS test doubles: it moves only when told to. */
export { ManualClock } from "../dns/testing.ts";

/** An open store plus the way to close it and remove its files. */
export interface QueueFixture {
  queue: QueueStore;
  dispose(): Promise<void>;
}

/** Opens a fresh, empty store for one test. */
export type QueueFactory = (deps: QueueDeps) => Promise<QueueFixture>;

/** Deterministic bytes for a body: a simple LCG seeded by `seed`. */
export function patternBytes(seed: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let state = (seed * 2654435761 + 1) >>> 0;
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

/** Reads a whole stream into one array. */
export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return concatBytes(await Array.fromAsync(stream));
}

/** An envelope with sensible defaults. */
export function envelope(overrides: Partial<EnvelopeInit> = {}): EnvelopeInit {
  return {
    reversePath: "sender@example.test",
    recipients: ["rcpt@example.org"],
    receivedFrom: { ip: "192.0.2.10", helo: "client.example.test" },
    ...overrides,
  };
}

/** Writes `body` in pieces of the given sizes (cycling), then commits. */
export async function spoolMessage(
  queue: QueueStore,
  body: Uint8Array,
  options: { pieces?: number[]; envelope?: EnvelopeInit } = {},
): Promise<string> {
  const spool = queue.createSpool();
  const pieces = options.pieces?.length ? options.pieces : [body.byteLength || 1];
  let offset = 0;
  for (let i = 0; offset < body.byteLength; i++) {
    const size = Math.max(1, pieces[i % pieces.length]);
    await spool.write(body.subarray(offset, offset + size));
    offset += size;
  }
  const message = await spool.commit(options.envelope ?? envelope());
  return message.id;
}
