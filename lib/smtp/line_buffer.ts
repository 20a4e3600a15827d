/**
 * A bounded, incremental CRLF line scanner for SMTP command lines.
 *
 * @module
 */

/** One complete line, or why it was refused. */
export type LineResult =
  /** A line without its CRLF. */
  | { readonly kind: "line"; readonly bytes: Uint8Array }
  /** The line exceeded the limit; it was discarded up to its CRLF. */
  | { readonly kind: "too-long" }
  /** The line contained a bare CR or LF (RFC 5321 §2.3.8); discarded. */
  | { readonly kind: "bare-line-ending" };

/** What one {@link LineBuffer.read} call did. */
export interface LineRead {
  /** How many input bytes were consumed; the rest belong to what follows the line. */
  readonly consumed: number;
  /** The line that was completed, if any. */
  readonly line: LineResult | undefined;
}

/** Options of {@link LineBuffer}. */
export interface LineBufferOptions {
  /**
   * The longest line accepted, in octets including CRLF (RFC 5321 §4.5.3.1.4).
   * @default {512}
   */
  maxLength?: number;
}

const CR = 13;
const LF = 10;
const NO_LINE: LineRead = { consumed: 0, line: undefined };

type LineFault = "none" | "too-long" | "bare-line-ending";

/**
 * Splits incoming bytes into CRLF-terminated lines, one line per call.
 *
 * Each input byte is looked at once (O(n)); at most `maxLength` bytes of an
 * unfinished line are kept. A line over the limit is discarded up to its CRLF
 * and reported as `too-long`; a bare CR or LF makes the line invalid, but the
 * line still ends only at CRLF. Never use `TextLineStream` for untrusted input:
 * it buffers without bound.
 *
 * @example
 * ```ts
 * import { LineBuffer } from "./line_buffer.ts";
 * import assert from "node:assert/strict";
 * const buffer = new LineBuffer();
 * const input = new TextEncoder().encode("NOOP\r\nQUIT\r\n");
 * const first = buffer.read(input);
 * assert.equal(first.consumed, 6);
 * assert.equal(first.line?.kind, "line");
 * ```
 */
export class LineBuffer {
  readonly #maxLength: number;
  #partial: Uint8Array = new Uint8Array(0);
  #length = 0;
  #pendingCr = false;
  #fault: LineFault = "none";

  /**
   * Creates an empty line buffer.
   *
   * @param options The line length limit.
   */
  constructor(options: LineBufferOptions = {}) {
    this.#maxLength = options.maxLength ?? 512;
  }

  /**
   * Consumes `input` up to and including the next CRLF.
   *
   * A returned line's bytes may be a view of `input` or of an internal buffer;
   * they are valid until the next call.
   *
   * @param input Bytes received; only the first `consumed` bytes are used.
   * @param maxLength The limit for this line, overriding the constructor's
   * (AUTH responses may be longer than commands, RFC 4954 §4).
   * @returns The number of bytes consumed and the line completed, if any.
   */
  read(input: Uint8Array, maxLength: number = this.#maxLength): LineRead {
    if (input.length === 0) return NO_LINE;
    let position = 0;
    if (this.#pendingCr) {
      this.#pendingCr = false;
      if (input[0] === LF) return this.#complete(input, 0, 0, 1, maxLength);
      this.#fail("bare-line-ending");
      this.#append(Uint8Array.of(CR), 0, 1, maxLength);
    }
    while (true) {
      const lf = input.indexOf(LF, position);
      if (lf < 0) {
        const endsWithCr = input[input.length - 1] === CR;
        const contentEnd = endsWithCr ? input.length - 1 : input.length;
        this.#append(input, position, contentEnd, maxLength);
        this.#pendingCr = endsWithCr;
        return { consumed: input.length, line: undefined };
      }
      if (lf > position && input[lf - 1] === CR) {
        return this.#complete(input, position, lf - 1, lf + 1, maxLength);
      }
      // RFC 5321 §2.3.8: a bare LF is not a line ending; keep looking for CRLF.
      this.#fail("bare-line-ending");
      this.#append(input, position, lf + 1, maxLength);
      position = lf + 1;
    }
  }

  /** Records a fault; "too-long" wins, so the result never depends on how input was split. */
  #fail(fault: Exclude<LineFault, "none">): void {
    if (this.#fault === "none" || fault === "too-long") this.#fault = fault;
  }

  /** Checks a span of line content and counts it; true when it may be kept. */
  #check(input: Uint8Array, start: number, end: number, maxLength: number): boolean {
    if (input.subarray(start, end).indexOf(CR) >= 0) this.#fail("bare-line-ending");
    if (this.#length + (end - start) + 2 > maxLength) this.#fail("too-long");
    return this.#fault === "none";
  }

  #append(input: Uint8Array, start: number, end: number, maxLength: number): void {
    if (this.#check(input, start, end, maxLength)) {
      if (this.#partial.length < maxLength) {
        const grown = new Uint8Array(maxLength);
        grown.set(this.#partial.subarray(0, this.#length));
        this.#partial = grown;
      }
      this.#partial.set(input.subarray(start, end), this.#length);
    }
    this.#length += end - start;
  }

  #complete(
    input: Uint8Array,
    start: number,
    end: number,
    consumed: number,
    maxLength: number,
  ): LineRead {
    const direct = this.#length === 0 && this.#fault === "none";
    if (direct) this.#check(input, start, end, maxLength);
    else this.#append(input, start, end, maxLength);
    const fault = this.#fault;
    const bytes = direct ? input.subarray(start, end) : this.#partial.subarray(0, this.#length);
    this.#length = 0;
    this.#fault = "none";
    const line: LineResult = fault === "none" ? { kind: "line", bytes } : { kind: fault };
    return { consumed, line };
  }
}
