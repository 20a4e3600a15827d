/**
 * Message priorities: integers from {@linkcode MIN_PRIORITY} (least urgent) to
 * {@linkcode MAX_PRIORITY} (most urgent), {@linkcode DEFAULT_PRIORITY} when nothing says
 * otherwise. The queue keeps one due-index band per priority; the scheduler decides how the
 * bands share delivery slots.
 *
 * @module
 */

/** The least urgent priority. */
export const MIN_PRIORITY = 0;
/** The most urgent priority. */
export const MAX_PRIORITY = 9;
/** The priority of a message nobody gave one. */
export const DEFAULT_PRIORITY = 5;

/**
 * `priority` as a valid priority: rounded, and clamped to 0–9; not a finite number gives the
 * default.
 *
 * @example Usage
 * ```ts
 * import { clampPriority } from "./priority.ts";
 * import assert from "node:assert/strict";
 * assert.equal(clampPriority(12), 9);
 * assert.equal(clampPriority(Number.NaN), 5);
 * ```
 */
export function clampPriority(priority: number): number {
  if (!Number.isFinite(priority)) return DEFAULT_PRIORITY;
  return Math.min(MAX_PRIORITY, Math.max(MIN_PRIORITY, Math.round(priority)));
}

/**
 * The due-index band of `priority`: 0 for the most urgent, so bands sort in service order.
 *
 * @example Usage
 * ```ts
 * import { priorityBand } from "./priority.ts";
 * import assert from "node:assert/strict";
 * assert.equal(priorityBand(9), 0);
 * ```
 */
export function priorityBand(priority: number): number {
  return MAX_PRIORITY - clampPriority(priority);
}

/**
 * The priority a header value asks for: its first word, lowercased, looked up in `values`
 * (`X-Priority: 1 (Highest)` → `values["1"]`), or `undefined` when it is not listed.
 *
 * @example Usage
 * ```ts
 * import { headerPriority } from "./priority.ts";
 * import assert from "node:assert/strict";
 * assert.equal(headerPriority(" 1 (Highest)", { "1": 8 }), 8);
 * assert.equal(headerPriority("Urgent", { urgent: 9 }), 9);
 * assert.equal(headerPriority("7", { "1": 8 }), undefined);
 * ```
 */
export function headerPriority(
  value: string,
  values: Readonly<Record<string, number>>,
): number | undefined {
  const word = value.trim().split(/[\s(;,]/, 1)[0].toLowerCase();
  return Object.hasOwn(values, word) ? clampPriority(values[word]) : undefined;
}
