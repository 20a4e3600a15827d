import { parse as parseToml, TomlError } from "smol-toml";
import { ConfigError } from "./config_error.ts";
import type { Config } from "./types.ts";
import { configSchema } from "./_schema.ts";
import { toConfigIssues } from "./_issues.ts";

/**
 * Parses and validates a TOML configuration, applying every default. Every key is optional;
 * unknown keys are errors, so typos are caught.
 *
 * @param tomlText The TOML document.
 * @param source Where the text came from (a file name), for error messages.
 * @returns The configuration as plain data.
 * @throws {ConfigError} Listing every problem: a TOML syntax error (with line and column), or
 * each key whose value is invalid, by its TOML key path.
 *
 * @example Usage
 * ```ts
 * import { parseConfig } from "./parse_config.ts";
 * import assert from "node:assert/strict";
 *
 * const config = parseConfig('[policy]\nmax_recipients = 50\n');
 * assert.equal(config.policy.maxRecipients, 50);
 * assert.equal(config.listen[0].address, "127.0.0.1:2525");
 * ```
 */
export function parseConfig(tomlText: string, source?: string): Config {
  let document: unknown;
  try {
    document = parseToml(tomlText);
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const message = error.message.split("\n")[0].replace(/^Invalid TOML document: /, "");
    const issue = {
      path: "",
      message: `invalid TOML: ${message}`,
      line: error.line,
      column: error.column,
    };
    throw new ConfigError([issue], source, { cause: error });
  }
  const result = configSchema.safeParse(document, { reportInput: true });
  if (!result.success) throw new ConfigError(toConfigIssues(result.error.issues), source);
  return result.data;
}

/**
 * The configuration used when there is no file: SMTP on 127.0.0.1:2525, the queue at
 * `data/empath.kv`, mail accepted for `localhost` from anyone, relay from loopback only.
 *
 * @returns A fresh copy of the defaults.
 *
 * @example Usage
 * ```ts
 * import { defaultConfig } from "./parse_config.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(defaultConfig().policy.localDomains, ["localhost"]);
 * ```
 */
export function defaultConfig(): Config {
  return parseConfig("");
}
