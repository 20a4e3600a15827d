// The spool writer shared by both queue implementations: chunking, backpressure and the
// open → committing → committed / aborted lifecycle. Storage is behind the SpoolSink port.
import { ChunkBuffer, splitChunks } from "./_chunk_buffer.ts";
import { buildQueuedMessage } from "./_record.ts";
import { buildTask } from "./_task.ts";
import { SpoolError, toSpoolError } from "./spool_error.ts";
import type { Clock, EnvelopeInit, QueuedMessage, QueueTask, SpoolWriter } from "./types.ts";

/** Where a spool writer stores a message; implemented per queue backend. */
export interface SpoolSink {
  /**
   * Persists `chunks` of `id` as chunks `index`, `index + 1`, … in one atomic group;
   * the group holding chunk 0 also records the spool-in-progress marker.
   */
  writeChunks(id: string, index: number, chunks: Uint8Array[]): Promise<void>;
  /**
   * Atomically stores `lastChunks` as chunks `writtenChunks`, `writtenChunks + 1`, …,
   * the record and its due entry and `tasks`, and clears the marker when `writtenChunks > 0`.
   */
  commitMessage(
    message: QueuedMessage,
    lastChunks: Uint8Array[],
    writtenChunks: number,
    tasks: readonly QueueTask[],
  ): Promise<void>;
  /** Reads back chunk `index` of `id`, written by {@linkcode writeChunks}. */
  readChunk(id: string, index: number): Promise<Uint8Array>;
  /** Removes chunks `0 .. chunkCount - 1` of `id`, then the marker. */
  discard(id: string, chunkCount: number): Promise<void>;
}

/** Collaborators of a {@linkcode ChunkedSpoolWriter}. */
export interface SpoolWriterDeps {
  sink: SpoolSink;
  clock: Clock;
  id: string;
  maxAgeMs: number;
  /** Called once when the writer is committed or aborted. */
  onSettled(id: string): void;
  /** Called after a successful commit with its duration in milliseconds. */
  onCommitted?: (durationMs: number) => void;
}

interface ChunkInFlight {
  readonly promise: Promise<void>;
  readonly bytes: number;
}

type WriterPhase =
  | { kind: "open" }
  | { kind: "writing" }
  | { kind: "committing"; done: Promise<unknown> }
  | { kind: "committed" }
  | { kind: "aborted"; done: Promise<void> };

/**
 * Streams a body into 64,000-byte chunks, gathered in segments of four. It holds
 * at most two segments: the one being filled and the one being committed; a
 * write that fills a second segment waits for the first to be stored.
 */
export class ChunkedSpoolWriter implements SpoolWriter {
  readonly id: string;
  readonly #deps: SpoolWriterDeps;
  readonly #buffer = new ChunkBuffer();
  #size = 0;
  #written = 0;
  #inFlight: ChunkInFlight | undefined;
  #phase: WriterPhase = { kind: "open" };
  #peakHeldBytes = 0;

  constructor(deps: SpoolWriterDeps) {
    this.id = deps.id;
    this.#deps = deps;
  }

  /** Body bytes written so far. */
  get size(): number {
    return this.#size;
  }

  /** Body bytes held in memory now: the segment being filled plus the one in flight. */
  get heldBytes(): number {
    return this.#buffer.length + (this.#inFlight?.bytes ?? 0);
  }

  /** The largest {@linkcode heldBytes} seen so far. */
  get peakHeldBytes(): number {
    return this.#peakHeldBytes;
  }

  async write(bytes: Uint8Array): Promise<void> {
    this.#expectPhase("open", "write to");
    this.#phase = { kind: "writing" };
    try {
      let offset = 0;
      while (offset < bytes.byteLength) {
        // Flush lazily: a full chunk is stored only once more bytes follow, so a
        // message of exactly one chunk is still committed in a single group.
        if (this.#buffer.isFull) await this.#flushChunk();
        const copied = this.#buffer.fill(bytes, offset);
        offset += copied;
        this.#size += copied;
        this.#peakHeldBytes = Math.max(this.#peakHeldBytes, this.heldBytes);
      }
    } catch (error) {
      if (this.#phase.kind === "writing") await this.#abandon();
      throw toSpoolError(error, `Cannot spool message "${this.id}"`);
    } finally {
      if (this.#phase.kind === "writing") this.#phase = { kind: "open" };
    }
  }

  readSpooled(): ReadableStream<Uint8Array> {
    this.#expectPhase("open", "read");
    const written = this.#written;
    let tail: Uint8Array | undefined = this.#buffer.copy();
    let index = 0;
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        if (index < written) {
          if (index === 0) await this.#settleInFlight();
          controller.enqueue(await this.#deps.sink.readChunk(this.id, index++));
        } else if (tail !== undefined && tail.byteLength > 0) {
          controller.enqueue(tail);
          tail = undefined;
        } else controller.close();
      },
    }, { highWaterMark: 0 });
  }

  commit(envelope: EnvelopeInit): Promise<QueuedMessage> {
    if (this.#phase.kind !== "open") {
      return Promise.reject(this.#phaseError("commit"));
    }
    const done = this.#commit(envelope);
    this.#phase = { kind: "committing", done };
    return done;
  }

  async abort(): Promise<void> {
    const phase = this.#phase;
    switch (phase.kind) {
      case "open":
      case "writing":
        return await this.#abandon();
      case "committing":
        // The commit may already be durable; keep the message rather than lose it.
        await phase.done.catch(() => {});
        return;
      case "committed":
        return;
      case "aborted":
        return await phase.done;
      default:
        phase satisfies never;
    }
  }

  async #commit(envelope: EnvelopeInit): Promise<QueuedMessage> {
    const started = performance.now();
    const message = await this.#store(envelope);
    // Outside #store: a failing observer must never abandon a committed message.
    this.#deps.onCommitted?.(performance.now() - started);
    return message;
  }

  async #store(envelope: EnvelopeInit): Promise<QueuedMessage> {
    await Promise.resolve(); // let commit() record the phase first
    try {
      await this.#settleInFlight();
      const last = splitChunks(this.#buffer.take());
      const message = buildQueuedMessage({
        id: this.id,
        envelope,
        size: this.#size,
        chunks: this.#written + last.length,
        now: this.#deps.clock.now(),
        maxAgeMs: this.#deps.maxAgeMs,
      });
      const tasks = (envelope.tasks ?? []).map((task, index) =>
        buildTask(task, `${this.id}.${index}`, message.createdAt)
      );
      await this.#deps.sink.commitMessage(message, last, this.#written, tasks);
      this.#phase = { kind: "committed" };
      this.#deps.onSettled(this.id);
      return message;
    } catch (error) {
      await this.#abandon();
      throw toSpoolError(error, `Cannot commit message "${this.id}"`);
    }
  }

  async #flushChunk(): Promise<void> {
    await this.#settleInFlight();
    if (this.#phase.kind !== "writing") {
      throw new SpoolError(`Cannot write to spool "${this.id}": it was aborted`);
    }
    const segment = this.#buffer.take();
    const chunks = splitChunks(segment);
    const promise = this.#deps.sink.writeChunks(this.id, this.#written, chunks);
    promise.catch(() => {}); // observed later by #settleInFlight
    this.#written += chunks.length;
    this.#inFlight = { promise, bytes: segment.byteLength };
  }

  async #settleInFlight(): Promise<void> {
    const inFlight = this.#inFlight;
    if (!inFlight) return;
    await inFlight.promise;
    if (this.#inFlight === inFlight) this.#inFlight = undefined;
  }

  #abandon(): Promise<void> {
    const done = this.#discard();
    this.#phase = { kind: "aborted", done };
    return done;
  }

  async #discard(): Promise<void> {
    await this.#inFlight?.promise.catch(() => {});
    this.#inFlight = undefined;
    this.#buffer.take();
    try {
      if (this.#written > 0) await this.#deps.sink.discard(this.id, this.#written);
    } catch {
      // The marker stays behind and cleanupOrphans() removes the chunks later.
    } finally {
      this.#deps.onSettled(this.id);
    }
  }

  #expectPhase(expected: WriterPhase["kind"], verb: string): void {
    if (this.#phase.kind !== expected) throw this.#phaseError(verb);
  }

  #phaseError(verb: string): SpoolError {
    return new SpoolError(`Cannot ${verb} spool "${this.id}": it is ${this.#phase.kind}`);
  }
}
