import { ConfigError } from "./config_error.ts";
import { defaultConfig, parseConfig } from "./parse_config.ts";
import type { Config } from "./types.ts";

/**
 * Reads and validates a TOML configuration file; without a path, returns the defaults.
 *
 * @param path The file to read, relative to the working directory.
 * @returns The configuration.
 * @throws {ConfigError} If the file cannot be read, is not TOML, or holds invalid values.
 *
 * @example Usage
 * ```ts
 * import { loadConfig } from "./load_config.ts";
 * import assert from "node:assert/strict";
 *
 * const config = await loadConfig();
 * assert.equal(config.queue.path, "data/empath.kv");
 * ```
 */
export async function loadConfig(path?: string): Promise<Config> {
  if (path === undefined) return defaultConfig();
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "file not found"
      : error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotCapable
      ? "permission denied"
      : error instanceof Error
      ? error.message
      : String(error);
    throw new ConfigError(
      [{ path: "", message: `cannot read configuration file: ${reason}` }],
      path,
      {
        cause: error,
      },
    );
  }
  return parseConfig(text, path);
}
