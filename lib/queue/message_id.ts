/**
 * Time-sortable, unguessable message ids (ULID layout).
 *
 * @module
 */

/** Fills `target` with random bytes and returns it, like `crypto.getRandomValues`. */
export type RandomBytes = (target: Uint8Array) => Uint8Array;

const CROCKFORD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const MESSAGE_ID_REGEXP = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
const MAX_TIMESTAMP = 2 ** 48 - 1;
const TIME_CHARS = 10;
const RANDOM_BYTES = 10;

/** The default randomness source: the Web Crypto CSPRNG. */
export const cryptoRandomBytes: RandomBytes = (target) => crypto.getRandomValues(target);

/**
 * Builds a 26-character message id: a 48-bit millisecond timestamp followed by
 * 80 random bits, in Crockford base32. Ids sort by creation time and cannot be
 * guessed from their neighbours.
 *
 * @param now Milliseconds since the Unix epoch (integer, 0 to 2^48 - 1).
 * @param random Source of random bytes; defaults to `crypto.getRandomValues`.
 * @returns The id, for example `"01JDG7ZQ1M6V4P3X8R2N5K7W9A"`.
 * @throws {RangeError} If `now` is not an integer within the 48-bit range.
 *
 * @example Ids sort by time
 * ```ts
 * import { newMessageId } from "./message_id.ts";
 *
 * const first = newMessageId(1_700_000_000_000);
 * const second = newMessageId(1_700_000_000_001);
 * console.assert(first.length === 26 && first < second);
 * ```
 */
export function newMessageId(now: number, random: RandomBytes = cryptoRandomBytes): string {
  if (!Number.isInteger(now) || now < 0 || now > MAX_TIMESTAMP) {
    throw new RangeError(`Cannot build a message id for time "${now}": expected 0 to 2^48 - 1`);
  }
  let id = "";
  let time = now;
  for (let i = 0; i < TIME_CHARS; i++) {
    id = CROCKFORD_ALPHABET[time % 32] + id;
    time = Math.floor(time / 32);
  }
  return id + encodeRandom(random(new Uint8Array(RANDOM_BYTES)));
}

/**
 * Tells whether `text` has the shape of an id made by {@linkcode newMessageId}.
 *
 * @example
 * ```ts
 * import { isMessageId, newMessageId } from "./message_id.ts";
 *
 * console.assert(isMessageId(newMessageId(0)));
 * console.assert(!isMessageId("../etc/passwd"));
 * ```
 */
export function isMessageId(text: string): boolean {
  return MESSAGE_ID_REGEXP.test(text);
}

/** Encodes 10 bytes (80 bits) as 16 base32 characters, 5 bits at a time. */
function encodeRandom(bytes: Uint8Array): string {
  let text = "";
  let bits = 0;
  let pending = 0;
  for (const byte of bytes) {
    pending = (pending << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      text += CROCKFORD_ALPHABET[(pending >> bits) & 31];
    }
    pending &= (1 << bits) - 1;
  }
  return text;
}
