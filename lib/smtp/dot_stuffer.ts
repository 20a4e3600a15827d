/**
 * A streaming encoder of message bodies for DATA: dot-stuffing and CRLF
 * normalisation, chunk by chunk.
 *
 * @module
 */

const CR = 13;
const LF = 10;
const DOT = 46;
const CRLF = Uint8Array.of(CR, LF);
const END_MARKER = Uint8Array.of(DOT, CR, LF);
const CRLF_END_MARKER = Uint8Array.of(CR, LF, DOT, CR, LF);

/**
 * Encodes a message body for the DATA command as it streams (RFC 5321
 * §4.5.2): a line starting with a dot gets a second dot, and every bare LF or
 * bare CR becomes CRLF, so the wire never carries a bare line ending (which
 * receivers may refuse or, worse, read as an end of data). A CRLF split
 * across two chunks is recognised. {@link finish} returns the `.\r\n` end
 * marker, preceded by a CRLF when the body did not end with one.
 *
 * Memory is bounded by the chunk size: each call returns at most
 * `2 × chunk.length` bytes and keeps a few flags between calls.
 *
 * @example
 * ```ts
 * import { DotStuffer } from "./dot_stuffer.ts";
 * import assert from "node:assert/strict";
 * const stuffer = new DotStuffer();
 * const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
 * const encoder = new TextEncoder();
 * assert.equal(text(stuffer.stuff(encoder.encode(".hidden\nline\r"))), "..hidden\r\nline");
 * assert.equal(text(stuffer.stuff(encoder.encode("\n.end"))), "\r\n..end");
 * assert.equal(text(stuffer.finish()), "\r\n.\r\n");
 * ```
 */
export class DotStuffer {
  #lineStart = true;
  #pendingCr = false;
  #finished = false;

  /**
   * Encodes the next body chunk.
   *
   * @param chunk Body bytes, in any line ending convention.
   * @returns The wire bytes for this chunk (possibly empty).
   * @throws {TypeError} After {@link finish}.
   */
  stuff(chunk: Uint8Array): Uint8Array {
    if (this.#finished) throw new TypeError("Cannot stuff a chunk: the body is finished");
    const out = new Uint8Array(chunk.length * 2 + 2);
    let write = 0;
    let index = 0;
    const next = { cr: -1, lf: -1 }; // cached positions keep the scan O(n)
    while (index < chunk.length) {
      const byte = chunk[index];
      if (this.#pendingCr) {
        this.#pendingCr = false;
        out.set(CRLF, write);
        write += 2;
        this.#lineStart = true;
        if (byte === LF) {
          index++;
          continue;
        }
      }
      if (byte === CR) {
        this.#pendingCr = true;
        index++;
      } else if (byte === LF) {
        out.set(CRLF, write);
        write += 2;
        this.#lineStart = true;
        index++;
      } else {
        if (this.#lineStart && byte === DOT) out[write++] = DOT;
        this.#lineStart = false;
        const stop = nextLineEnd(chunk, index, next);
        out.set(chunk.subarray(index, stop), write);
        write += stop - index;
        index = stop;
      }
    }
    return out.subarray(0, write);
  }

  /**
   * Ends the body.
   *
   * @returns `.\r\n`, or `\r\n.\r\n` if the body did not end with a line ending.
   * @throws {TypeError} When called twice.
   */
  finish(): Uint8Array {
    if (this.#finished) throw new TypeError("Cannot finish the body twice");
    this.#finished = true;
    if (this.#pendingCr || !this.#lineStart) return CRLF_END_MARKER.slice();
    return END_MARKER.slice();
  }
}

/** The index of the next CR or LF at or after `from`, or the length. */
function nextLineEnd(chunk: Uint8Array, from: number, next: { cr: number; lf: number }): number {
  if (next.cr < from) next.cr = indexOrLength(chunk, CR, from);
  if (next.lf < from) next.lf = indexOrLength(chunk, LF, from);
  return Math.min(next.cr, next.lf);
}

function indexOrLength(chunk: Uint8Array, byte: number, from: number): number {
  const found = chunk.indexOf(byte, from);
  return found < 0 ? chunk.length : found;
}
