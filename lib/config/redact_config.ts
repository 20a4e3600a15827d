import type { Config } from "./types.ts";

/** What {@linkcode redactConfig} puts in place of each secret. */
const REDACTED = "[redacted]";

/**
 * Copies a configuration for display (logs, `empath config show`), with every secret replaced
 * by `"[redacted]"`: the `password` of each `[[routes]]` `auth` table and the `password_hash` of
 * each `[[auth.users]]` entry, and the `hash` of each `[[control.tokens]]` entry. The input is not changed.
 *
 * @param config The validated configuration.
 * @returns A deep copy, safe to print; it is not meant to be used as a configuration.
 *
 * @example Usage
 * ```ts
 * import { defaultConfig } from "./parse_config.ts";
 * import { redactConfig } from "./redact_config.ts";
 * import assert from "node:assert/strict";
 *
 * const config = defaultConfig();
 * config.auth.users.push({ username: "alice", passwordHash: "$scrypt$..." });
 * const shown = JSON.stringify(redactConfig(config));
 * assert.ok(shown.includes('"passwordHash":"[redacted]"'));
 * assert.equal(config.auth.users[0].passwordHash, "$scrypt$...");
 * ```
 */
export function redactConfig(config: Config): unknown {
  const copy = structuredClone(config);
  for (const user of copy.auth.users) user.passwordHash = REDACTED;
  for (const token of copy.control.tokens) token.hash = REDACTED;
  for (const route of copy.routes) {
    if (route.kind === "smtp" && route.auth !== undefined) route.auth.password = REDACTED;
  }
  return copy;
}
