const SIZE_UNITS: Readonly<Record<string, number>> = {
  "": 1,
  b: 1,
  kb: 1_000,
  mb: 1_000_000,
  gb: 1_000_000_000,
  kib: 1_024,
  mib: 1_048_576,
  gib: 1_073_741_824,
};

const SIZE_REGEXP = /^(\d+)\s*([a-z]*)$/i;

/**
 * Parses a size in bytes: an integer, or text such as `"35MB"`, `"10MiB"`, `"512KB"` or `"1000"`.
 *
 * Units are case-insensitive: `B`; decimal `KB`, `MB`, `GB` (powers of 1000); binary `KiB`,
 * `MiB`, `GiB` (powers of 1024). Text without a unit is bytes.
 *
 * @param size The text (or integer bytes) to parse.
 * @returns The size in bytes.
 * @throws {TypeError} If the text is not a size.
 * @throws {RangeError} If the value is negative, not an integer or above `Number.MAX_SAFE_INTEGER`.
 *
 * @example Usage
 * ```ts
 * import { parseSize } from "./size.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseSize("35MB"), 35_000_000);
 * assert.equal(parseSize("10MiB"), 10_485_760);
 * ```
 */
export function parseSize(size: string | number): number {
  if (typeof size === "number") return checkBytes(size, String(size));
  const match = SIZE_REGEXP.exec(size.trim());
  const multiplier = match === null ? undefined : SIZE_UNITS[match[2].toLowerCase()];
  if (match === null || multiplier === undefined) {
    throw new TypeError(
      `Cannot parse size "${size}": expected an integer optionally followed by B, KB, MB, GB, KiB, MiB or GiB`,
    );
  }
  return checkBytes(Number(match[1]) * multiplier, size);
}

function checkBytes(bytes: number, shown: string): number {
  if (!Number.isSafeInteger(bytes) || bytes < 0) {
    throw new RangeError(
      `Cannot use size "${shown}": expected a whole number of bytes from 0 to ${Number.MAX_SAFE_INTEGER}`,
    );
  }
  return bytes;
}
