import { z } from "zod";
import type { HooksSettingsConfig } from "./types.ts";
import {
  arrayValue,
  booleanValue,
  checkedValue,
  durationValue,
  integerValue,
  reportDuplicates,
} from "./_schema_values.ts";

/** The default time budget of one hook call, in milliseconds. */
export const DEFAULT_HOOK_TIMEOUT_MS = 2_000;

const MODULE_PATH_REGEXP = /\.(?:ts|mts|js|mjs)$/;

/** A module path: a non-empty string ending in `.ts`, `.mts`, `.js` or `.mjs`. */
function modulePathValue() {
  return checkedValue('a module file path ending in ".ts" or ".js"', (input) => {
    const text = typeof input === "string" ? input.trim() : "";
    return MODULE_PATH_REGEXP.test(text) ? text : undefined;
  });
}

/** One `[[hooks]]` entry as written; `timeout` falls back to `[hooks_settings] timeout`. */
const hookEntrySchema = z.strictObject({
  path: modulePathValue(),
  timeout: durationValue().optional(),
  after_queue: booleanValue().default(false),
}).transform((entry) => ({
  path: entry.path,
  timeout: entry.timeout,
  afterQueue: entry.after_queue,
}));

/** `[[hooks]]`: policy hook modules, in the order they run; each path once. */
export const hooksSchema = arrayValue(hookEntrySchema)
  .superRefine((entries, context) => {
    reportDuplicates(entries.map((entry) => entry.path), context, { key: "path", each: "module" });
  })
  .default(() => []);

/** `[hooks_settings]`: defaults of every hook and the after-queue work list. */
export const hooksSettingsSchema: z.ZodType<HooksSettingsConfig, unknown> = z.strictObject({
  timeout: durationValue().default(DEFAULT_HOOK_TIMEOUT_MS),
  retry: arrayValue(durationValue(), 1).default(() => [
    10_000,
    60_000,
    5 * 60_000,
    15 * 60_000,
    3_600_000,
  ]),
  max_attempts: integerValue(1).default(10),
}).transform((settings) => ({
  timeout: settings.timeout,
  retry: settings.retry,
  maxAttempts: settings.max_attempts,
}));
