/** Units accepted by {@linkcode parseRate}: the length of each period, in seconds. */
const RATE_UNITS = [
  ["s", 1],
  ["m", 60],
  ["h", 3_600],
] as const;

const RATE_REGEXP = /^(\d+(?:\.\d+)?(?:e[+-]?\d+)?)(?:\/(s|m|h))?$/;

/**
 * Parses a rate such as `"10/s"`, `"100/m"` or `"1000/h"` into events per second.
 *
 * A rate is a non-negative decimal number (`"10"`, `"0.5"`, `"1e-3"`), optionally followed by `/s`,
 * `/m` or `/h`; without a unit (and for a number) it is per second.
 *
 * @param rate The text (or a number per second) to parse.
 * @returns The rate in events per second, above 0.
 * @throws {TypeError} If the text is not a rate.
 * @throws {RangeError} If the rate is not a finite number above 0.
 *
 * @example Usage
 * ```ts
 * import { parseRate } from "./rate.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseRate("10/s"), 10);
 * assert.equal(parseRate("120/m"), 2);
 * assert.equal(parseRate(0.5), 0.5);
 * ```
 */
export function parseRate(rate: string | number): number {
  if (typeof rate === "number") return checkRate(rate, String(rate));
  const match = RATE_REGEXP.exec(rate.trim());
  if (match === null) {
    throw new TypeError(
      `Cannot parse rate "${rate}": expected a number optionally followed by /s, /m or /h`,
    );
  }
  const unit = RATE_UNITS.find(([name]) => name === (match[2] ?? "s"));
  return checkRate(Number(match[1]) / unit![1], rate);
}

function checkRate(perSecond: number, shown: string): number {
  if (!Number.isFinite(perSecond) || perSecond <= 0) {
    throw new RangeError(`Cannot use rate "${shown}": expected a finite number above 0`);
  }
  return perSecond;
}

/**
 * Formats a rate as text {@linkcode parseRate} reads back exactly, preferring a whole number per
 * second, then per minute, then per hour (`2` → `"2/s"`, `0.5` → `"30/m"`); other rates are
 * written as a plain number per second.
 *
 * @param perSecond A finite rate above 0, in events per second.
 * @returns The rate text.
 * @throws {RangeError} If the rate is not a finite number above 0.
 *
 * @example Usage
 * ```ts
 * import { formatRate } from "./rate.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatRate(10), "10/s");
 * assert.equal(formatRate(1 / 60), "1/m");
 * ```
 */
export function formatRate(perSecond: number): string {
  checkRate(perSecond, String(perSecond));
  for (const [name, seconds] of RATE_UNITS) {
    const count = Math.round(perSecond * seconds);
    if (count > 0 && Number.isSafeInteger(count) && count / seconds === perSecond) {
      return `${count}/${name}`;
    }
  }
  return String(perSecond);
}
