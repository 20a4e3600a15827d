/** What the server session reads from received bytes, private to lib/smtp. */
import type { DataDecoder, DataOutcome } from "./data_decoder.ts";
import { LineBuffer, type LineResult } from "./line_buffer.ts";
import { InputQueue } from "./_input_queue.ts";

/** RFC 4954 §4: AUTH responses may be up to 12288 octets. */
const AUTH_LINE_LENGTH = 12288;

/**
 * Received bytes not yet consumed, read as command lines, AUTH response lines,
 * DATA steps or BDAT octets. Each read stops at what it was asked for or when
 * the bytes run out; nothing is copied.
 */
export class SessionInput {
  readonly #queue = new InputQueue();
  readonly #maxCommandLength: number;
  #lines: LineBuffer;

  /** @param maxCommandLength The longest command line, in octets including CRLF. */
  constructor(maxCommandLength: number) {
    this.#maxCommandLength = maxCommandLength;
    this.#lines = new LineBuffer({ maxLength: maxCommandLength });
  }

  /** Appends received bytes; the caller must not reuse the array afterwards. */
  push(bytes: Uint8Array): void {
    this.#queue.push(bytes);
  }

  /** Drops the unconsumed bytes, e.g. plaintext pipelined after STARTTLS (CVE-2011-0411). */
  clear(): void {
    this.#queue.clear();
  }

  /** Drops the unconsumed bytes and any partial line: the session starts over after TLS. */
  restart(): void {
    this.#queue.clear();
    this.#lines = new LineBuffer({ maxLength: this.#maxCommandLength });
  }

  /**
   * The next complete command line, or AUTH response line when `auth` is set.
   *
   * @returns The line (valid until the next read), or undefined when the bytes ran out first.
   */
  readLine(auth: boolean): LineResult | undefined {
    const limit = auth
      ? Math.max(AUTH_LINE_LENGTH, this.#maxCommandLength)
      : this.#maxCommandLength;
    for (let head = this.#queue.peek(); head !== undefined; head = this.#queue.peek()) {
      const { consumed, line } = this.#lines.read(head, limit);
      this.#queue.consume(consumed);
      if (line !== undefined) return line;
    }
    return undefined;
  }

  /**
   * Feeds the DATA decoder until it yields body bytes or the end of the data.
   *
   * @returns Body bytes (a view of the received bytes), how the data ended, or
   * undefined when the bytes ran out first.
   */
  readData(decoder: DataDecoder): Uint8Array | DataOutcome | undefined {
    for (let head = this.#queue.peek(); head !== undefined; head = this.#queue.peek()) {
      const step = decoder.decode(head);
      this.#queue.consume(step.consumed);
      if (step.outcome !== undefined) return step.outcome;
      if (step.chunk !== undefined) return step.chunk;
    }
    return undefined;
  }

  /**
   * Takes up to `max` octets, e.g. of a BDAT chunk.
   *
   * @returns A view of the received bytes, or undefined when none are left.
   */
  take(max: number): Uint8Array | undefined {
    const head = this.#queue.peek();
    if (head === undefined) return undefined;
    const bytes = head.subarray(0, Math.min(head.length, max));
    this.#queue.consume(bytes.length);
    return bytes;
  }
}
