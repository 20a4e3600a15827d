/** RFC 5322 §3.3 date-time formatting. @module */

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;
const MONTHS = [
  "Jan",
  "Feb",
  "Mar",
  "Apr",
  "May",
  "Jun",
  "Jul",
  "Aug",
  "Sep",
  "Oct",
  "Nov",
  "Dec",
] as const;

function pad(value: number): string {
  return String(value).padStart(2, "0");
}

/**
 * Formats a date as an RFC 5322 §3.3 date-time in UTC, for `Date:` and
 * `Received:` header fields. The time is an input: nothing reads the clock.
 *
 * @param date The moment to format.
 * @returns Such as `Tue, 02 Jan 2024 03:04:05 +0000`.
 * @throws {RangeError} If the date is invalid.
 *
 * @example
 * ```ts
 * import { formatMessageDate } from "./message_date.ts";
 * import assert from "node:assert/strict";
 * assert.equal(formatMessageDate(new Date(0)), "Thu, 01 Jan 1970 00:00:00 +0000");
 * ```
 */
export function formatMessageDate(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError("Cannot format date: invalid date");
  const day = DAYS[date.getUTCDay()];
  const month = MONTHS[date.getUTCMonth()];
  const time = `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${
    pad(date.getUTCSeconds())
  }`;
  return `${day}, ${pad(date.getUTCDate())} ${month} ${date.getUTCFullYear()} ${time} +0000`;
}
