/**
 * Observability: structured logging with logtape (JSON Lines or text on standard error) under
 * the `["empath", "<module>"]` categories. Tracing and metrics come later.
 *
 * @example Usage
 * ```ts
 * import { getLogger, resetLogging, setupLogging } from "./mod.ts";
 *
 * await setupLogging({ level: "info", format: "text", write: () => {} });
 * getLogger("server").info("Accepted connection from {ip}", { ip: "192.0.2.1" });
 * await resetLogging();
 * ```
 *
 * @module
 */

export {
  getLogger,
  type LoggingOptions,
  type LogLevels,
  logLevels,
  resetLogging,
  ROOT_CATEGORY,
  setLogLevel,
  setupLogging,
} from "./logging.ts";
export type { Logger, LogLevel } from "@logtape/logtape";
export * from "./events.ts";
