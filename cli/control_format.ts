/**
 * Plain-text rendering for `empath control`: aligned tables and key/value lists.
 *
 * @module
 */

/** A cell: text, a number, or nothing (shown as `-`). */
export type Cell = string | number | boolean | undefined | null;

/**
 * Renders rows as columns separated by two spaces, each as wide as its widest
 * cell; the last column is not padded.
 *
 * @param headers The column titles.
 * @param rows The rows, one cell per column.
 * @returns The table, one line per row after the header, ending with a newline.
 *
 * @example Usage
 * ```ts
 * import { formatTable } from "./control_format.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatTable(["ID", "STATE"], [["a1", "held"]]), "ID  STATE\na1  held\n");
 * ```
 */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly Cell[])[],
): string {
  const lines = [headers, ...rows.map((row) => row.map(cellText))];
  const widths = headers.map((_, column) =>
    Math.max(...lines.map((line) => (line[column] ?? "").length))
  );
  return lines.map((line) =>
    line.map((cell, column) => column === line.length - 1 ? cell : cell.padEnd(widths[column]))
      .join("  ").trimEnd() + "\n"
  ).join("");
}

/**
 * Renders `key: value` lines with the values aligned.
 *
 * @param pairs The keys and values, in order.
 * @returns The lines, ending with a newline.
 *
 * @example Usage
 * ```ts
 * import { formatFields } from "./control_format.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatFields([["id", "a1"], ["state", "held"]]), "id:     a1\nstate:  held\n");
 * ```
 */
export function formatFields(pairs: readonly (readonly [string, Cell])[]): string {
  const width = Math.max(0, ...pairs.map(([key]) => key.length + 1));
  return pairs.map(([key, value]) => `${`${key}:`.padEnd(width)}  ${cellText(value)}\n`).join("");
}

/**
 * Renders a time in milliseconds since the epoch as ISO 8601 UTC to the second.
 *
 * @param ms The time; `undefined` gives `-`.
 * @returns The text.
 *
 * @example Usage
 * ```ts
 * import { formatTime } from "./control_format.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatTime(0), "1970-01-01T00:00:00Z");
 * ```
 */
export function formatTime(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "-";
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function cellText(cell: Cell): string {
  if (cell === undefined || cell === null || cell === "") return "-";
  return String(cell);
}
