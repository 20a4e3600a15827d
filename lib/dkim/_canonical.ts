// RFC 6376 §3.4 "relaxed" canonicalization: of one header field, and of a body
// fed in chunks of any size (the body hash is computed as the message streams in).
import { createHash, type Hash } from "node:crypto";

const SP = 0x20;
const HTAB = 0x09;
const CR = 0x0d;
const LF = 0x0a;
/** Canonical body octets are gathered in blocks of this size before hashing. */
const BLOCK_SIZE = 16_384;

/**
 * RFC 6376 §3.4.2: the relaxed form of one header field, given as a binary
 * string (one character per octet) without its final CRLF. The name is
 * lowercased, folds are unfolded, runs of white space become one space, and white
 * space around the colon and at the end is removed.
 */
export function relaxedHeader(field: string): string {
  const colon = field.indexOf(":");
  const name = field.slice(0, colon).replace(/[ \t]+$/, "").toLowerCase();
  const value = field.slice(colon + 1)
    .replace(/\r\n/g, "")
    .replace(/[ \t]+/g, " ")
    .replace(/^ | $/g, "");
  return `${name}:${value}\r\n`;
}

/**
 * RFC 6376 §3.4.4 relaxed body canonicalization with a running SHA-256, for a
 * body given in chunks split anywhere: white space at line ends is dropped, runs
 * of white space become one space, empty lines at the end are dropped, and a
 * non-empty body ends with CRLF. Memory use is one block, whatever the body size.
 */
export class RelaxedBodyHash {
  readonly #hash: Hash = createHash("sha256");
  readonly #block = new Uint8Array(BLOCK_SIZE);
  #used = 0;
  /** Line breaks seen since the last content octet; dropped if only empty lines follow. */
  #heldLineBreaks = 0;
  #pendingSpace = false;
  #pendingCr = false;
  #isEmpty = true;

  /** Feeds body octets. */
  update(chunk: Uint8Array): void {
    for (let i = 0; i < chunk.length; i++) {
      const octet = chunk[i];
      if (this.#pendingCr) {
        this.#pendingCr = false;
        if (octet === LF) {
          this.#pendingSpace = false;
          this.#heldLineBreaks++;
          continue;
        }
        this.#content(CR); // a CR without LF is an ordinary octet
      }
      if (octet === CR) this.#pendingCr = true;
      else if (octet === SP || octet === HTAB) this.#pendingSpace = true;
      else this.#content(octet);
    }
  }

  /** Ends the body and returns its hash in base64 (the `bh=` value). */
  digest(): string {
    if (this.#pendingCr) this.#content(CR);
    if (!this.#isEmpty) this.#put(CR, LF);
    this.#hash.update(this.#block.subarray(0, this.#used));
    this.#used = 0;
    return this.#hash.digest("base64");
  }

  #content(octet: number): void {
    for (; this.#heldLineBreaks > 0; this.#heldLineBreaks--) this.#put(CR, LF);
    if (this.#pendingSpace) {
      this.#pendingSpace = false;
      this.#put(SP);
    }
    this.#put(octet);
    this.#isEmpty = false;
  }

  #put(first: number, second?: number): void {
    if (this.#used + 2 > BLOCK_SIZE) {
      this.#hash.update(this.#block.subarray(0, this.#used));
      this.#used = 0;
    }
    this.#block[this.#used++] = first;
    if (second !== undefined) this.#block[this.#used++] = second;
  }
}
