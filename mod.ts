/**
 * Empath, a mail transfer agent for Deno: the public surface for embedders and
 * tests.
 *
 * @example
 * ```ts ignore
 * import { defaultConfig, startEmpath } from "./mod.ts";
 * await using empath = await startEmpath(defaultConfig());
 * ```
 *
 * @module
 */
export { DEFAULT_GRACE_MS, type Empath, startEmpath } from "./lib/app.ts";
export {
  type Config,
  ConfigError,
  defaultConfig,
  loadConfig,
  parseConfig,
} from "./lib/config/mod.ts";
export type { QueuedMessage, QueueStore } from "./lib/queue/mod.ts";
export type { Reply } from "./lib/smtp/mod.ts";
