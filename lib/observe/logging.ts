import {
  configure,
  getLogger as getLogtapeLogger,
  type Logger,
  type LogLevel,
  type LogRecord,
  reset,
  type Sink,
} from "@logtape/logtape";
import { jsonLineFormatter, textLineFormatter } from "./_log_format.ts";

/** The root of every Empath log category; modules log under `["empath", "<module>"]`. */
export const ROOT_CATEGORY = "empath";

/** Options for {@linkcode setupLogging}. */
export interface LoggingOptions {
  /** The lowest level written. */
  level: LogLevel;
  /** `"json"`: JSON Lines; `"text"`: readable lines. */
  format: "json" | "text";
  /**
   * Where formatted lines go.
   * @default writes synchronously to standard error
   */
  write?: (line: string) => void;
}

interface LoggingState {
  readonly sink: Sink;
  readonly level: LogLevel | null;
  readonly categoryLevels: Map<string, { category: string[]; level: LogLevel | null }>;
}

// logtape's configuration is process-wide, so the options it was built from are too.
let currentState: LoggingState | undefined;

const stderrEncoder = new TextEncoder();

function writeToStderr(line: string): void {
  const bytes = stderrEncoder.encode(line);
  let written = 0;
  while (written < bytes.length) written += Deno.stderr.writeSync(bytes.subarray(written));
}

/**
 * Configures logging for the whole process: records under `["empath", …]` at `level` or
 * above go to standard error (or `write`), as JSON Lines or readable text. logtape's own meta
 * logger only reports warnings and errors. Calling it again replaces the configuration.
 *
 * A disabled level costs a level comparison: pass expensive properties as a callback
 * (`logger.debug("…", () => ({ … }))`) and it is not called.
 *
 * @param options Level, format and destination.
 *
 * @example Usage
 * ```ts
 * import { getLogger, resetLogging, setupLogging } from "./logging.ts";
 *
 * const lines: string[] = [];
 * await setupLogging({ level: "info", format: "json", write: (line) => lines.push(line) });
 * getLogger("smtp").info("Listening on {address}", { address: "127.0.0.1:2525" });
 * await resetLogging();
 * ```
 */
export async function setupLogging(options: LoggingOptions): Promise<void> {
  const formatter = options.format === "text" ? textLineFormatter : jsonLineFormatter;
  const write = options.write ?? writeToStderr;
  const sink: Sink = (record: LogRecord) => write(formatter(record));
  currentState = { sink, level: options.level, categoryLevels: new Map() };
  await applyState(currentState);
}

/**
 * Changes the lowest level of one category and its descendants at run time, for example
 * `setLogLevel(["empath", "smtp"], "debug")`; `null` silences it. Requires
 * {@linkcode setupLogging} first.
 *
 * @param category The category; a string is one element.
 * @param level The new lowest level, or `null` for none.
 * @throws {TypeError} If logging is not set up.
 *
 * @example Usage
 * ```ts
 * import { resetLogging, setLogLevel, setupLogging } from "./logging.ts";
 *
 * await setupLogging({ level: "info", format: "json", write: () => {} });
 * await setLogLevel(["empath", "smtp"], "debug");
 * await resetLogging();
 * ```
 */
export async function setLogLevel(
  category: string | readonly string[],
  level: LogLevel | null,
): Promise<void> {
  if (currentState === undefined) {
    throw new TypeError("Cannot set a log level: logging is not set up, call setupLogging() first");
  }
  const path = typeof category === "string" ? [category] : [...category];
  if (path.length === 1 && path[0] === ROOT_CATEGORY) {
    currentState = { ...currentState, level };
  } else {
    currentState.categoryLevels.set(JSON.stringify(path), { category: path, level });
  }
  await applyState(currentState);
}

/** The levels in effect: the root level and every per-category override. */
export interface LogLevels {
  readonly level: LogLevel | null;
  readonly categories: { readonly category: string; readonly level: LogLevel | null }[];
}

/**
 * The levels in effect, or `undefined` before {@linkcode setupLogging}.
 *
 * @example Usage
 * ```ts
 * import { logLevels } from "./logging.ts";
 * logLevels(); // undefined until logging is set up
 * ```
 */
export function logLevels(): LogLevels | undefined {
  if (currentState === undefined) return undefined;
  return {
    level: currentState.level,
    categories: [...currentState.categoryLevels.values()].map(({ category, level }) => ({
      category: category.join("."),
      level,
    })),
  };
}

async function applyState(state: LoggingState): Promise<void> {
  const overrides = [...state.categoryLevels.values()].map(({ category, level }) => ({
    category,
    lowestLevel: level,
    parentSinks: "forward" as const,
  }));
  await configure({
    reset: true,
    sinks: { output: state.sink },
    loggers: [
      { category: [ROOT_CATEGORY], sinks: ["output"], lowestLevel: state.level },
      ...overrides,
      { category: ["logtape", "meta"], sinks: ["output"], lowestLevel: "warning" },
    ],
  });
}

/**
 * Removes the logging configuration; records are dropped until {@linkcode setupLogging} runs
 * again. For tests and shutdown.
 *
 * @example Usage
 * ```ts
 * import { resetLogging } from "./logging.ts";
 *
 * await resetLogging();
 * ```
 */
export async function resetLogging(): Promise<void> {
  currentState = undefined;
  await reset();
}

/**
 * Returns the logger of an Empath module. A string names a module below `"empath"`
 * (`getLogger("smtp")` → `["empath", "smtp"]`); an array is a category path, prefixed with
 * `"empath"` unless it already starts with it (`getLogger(["empath", "app"])`,
 * `getLogger(["smtp", "session"])`).
 *
 * @param category The module name or category path.
 * @returns The logtape logger.
 *
 * @example Usage
 * ```ts
 * import { getLogger } from "./logging.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(getLogger("queue").category, ["empath", "queue"]);
 * assert.deepEqual(getLogger(["empath", "app"]).category, ["empath", "app"]);
 * ```
 */
export function getLogger(category: string | readonly string[]): Logger {
  const path = typeof category === "string" ? [category] : [...category];
  return getLogtapeLogger(path[0] === ROOT_CATEGORY ? path : [ROOT_CATEGORY, ...path]);
}
