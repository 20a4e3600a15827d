// Shared by the parseConfig() tests: the issues a configuration is refused with.
import assert from "node:assert/strict";
import { ConfigError } from "./config_error.ts";
import { parseConfig } from "./parse_config.ts";

/** The path and message of each issue `parseConfig()` throws for `tomlText`; fails if it parses. */
export function issuesOf(tomlText: string): { path: string; message: string }[] {
  try {
    parseConfig(tomlText);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.issues.map(({ path, message }) => ({ path, message }));
  }
  assert.fail("expected a ConfigError");
}
