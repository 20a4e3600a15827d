/** Units accepted by {@linkcode parseDuration}, largest first, in milliseconds. */
const DURATION_UNITS = [
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1_000],
  ["ms", 1],
] as const;

const DURATION_REGEXP = /^(\d+)(ms|s|m|h|d)$/;

/**
 * Parses a duration such as `"300ms"`, `"30s"`, `"5m"`, `"1h"` or `"5d"` into milliseconds.
 *
 * A duration is a non-negative integer immediately followed by one unit: `ms`, `s`, `m`, `h`
 * or `d`. A number is taken as milliseconds as it is.
 *
 * @param duration The text (or integer milliseconds) to parse.
 * @returns The duration in milliseconds.
 * @throws {TypeError} If the text is not a duration.
 * @throws {RangeError} If the value is negative, not an integer or above `Number.MAX_SAFE_INTEGER`.
 *
 * @example Usage
 * ```ts
 * import { parseDuration } from "./duration.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseDuration("5m"), 300_000);
 * assert.equal(parseDuration(1500), 1500);
 * ```
 */
export function parseDuration(duration: string | number): number {
  if (typeof duration === "number") return checkMilliseconds(duration, String(duration));
  const match = DURATION_REGEXP.exec(duration.trim());
  if (match === null) {
    throw new TypeError(
      `Cannot parse duration "${duration}": expected an integer followed by ms, s, m, h or d`,
    );
  }
  const unit = DURATION_UNITS.find(([name]) => name === match[2]);
  return checkMilliseconds(Number(match[1]) * unit![1], duration);
}

function checkMilliseconds(milliseconds: number, shown: string): number {
  if (!Number.isSafeInteger(milliseconds) || milliseconds < 0) {
    throw new RangeError(
      `Cannot use duration "${shown}": expected a whole number of milliseconds from 0 to ${Number.MAX_SAFE_INTEGER}`,
    );
  }
  return milliseconds;
}

/**
 * Formats milliseconds as the shortest duration {@linkcode parseDuration} reads back exactly,
 * using the largest unit that divides the value (`300_000` → `"5m"`, `1500` → `"1500ms"`).
 *
 * @param milliseconds A non-negative safe integer.
 * @returns The duration text.
 * @throws {RangeError} If the value is negative, not an integer or not a safe integer.
 *
 * @example Usage
 * ```ts
 * import { formatDuration } from "./duration.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatDuration(3_600_000), "1h");
 * assert.equal(formatDuration(90_000), "90s");
 * ```
 */
export function formatDuration(milliseconds: number): string {
  checkMilliseconds(milliseconds, String(milliseconds));
  if (milliseconds === 0) return "0ms";
  const [name, size] = DURATION_UNITS.find(([, size]) => milliseconds % size === 0)!;
  return `${milliseconds / size}${name}`;
}
