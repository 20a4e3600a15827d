/**
 * Byte helpers shared by every layer: joining chunks, and octets as binary strings (one
 * character per octet) for header fields that must be kept byte-exact. Pure: no I/O.
 *
 * @module
 */

/**
 * Joins byte arrays into one new array (always a copy, even of a single part).
 *
 * @param parts The arrays to join, in order.
 * @returns A new array holding every octet of `parts`.
 *
 * @example Usage
 * ```ts
 * import { concatBytes } from "./bytes.ts";
 * import assert from "node:assert/strict";
 * const joined = concatBytes([new Uint8Array([1, 2]), new Uint8Array([3])]);
 * assert.deepEqual(joined, new Uint8Array([1, 2, 3]));
 * ```
 */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let length = 0;
  for (const part of parts) length += part.byteLength;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/**
 * Octets as a string of one character per octet (ISO 8859-1), so nothing is lost.
 *
 * @example Usage
 * ```ts
 * import { binaryString } from "./bytes.ts";
 * import assert from "node:assert/strict";
 * assert.equal(binaryString(new Uint8Array([0x68, 0xff])), "h\u00ff");
 * ```
 */
export function binaryString(bytes: Uint8Array): string {
  let text = "";
  for (let start = 0; start < bytes.length; start += 8192) {
    text += String.fromCharCode(...bytes.subarray(start, start + 8192));
  }
  return text;
}

/**
 * The inverse of {@linkcode binaryString}.
 *
 * @example Usage
 * ```ts
 * import { binaryBytes } from "./bytes.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(binaryBytes("h\u00ff"), new Uint8Array([0x68, 0xff]));
 * ```
 */
export function binaryBytes(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
