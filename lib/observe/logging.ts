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

/**
 * The category of the audit trail. It is not below {@linkcode ROOT_CATEGORY}, so log levels and
 * the log sink never touch it; it has its own sink, set with {@linkcode setAuditSink}.
 */
export const AUDIT_CATEGORY = "empath-audit";

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
// The audit sink is set apart from the log options and kept across every reconfiguration.
let auditSink: Sink | undefined;

/** What is applied when only the audit sink is set: every log record is dropped. */
const SILENT_STATE: LoggingState = { sink: () => {}, level: null, categoryLevels: new Map() };

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
 * @throws {TypeError} If logging is not set up, or the category is not below `"empath"`.
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
  if (path[0] !== ROOT_CATEGORY) {
    throw new TypeError(
      `Cannot set the level of "${
        path.join(".")
      }": only categories below "${ROOT_CATEGORY}" have levels`,
    );
  }
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
    sinks: { output: state.sink, ...(auditSink === undefined ? {} : { audit: auditSink }) },
    loggers: [
      { category: [ROOT_CATEGORY], sinks: ["output"], lowestLevel: state.level },
      ...overrides,
      ...(auditSink === undefined ? [] : [AUDIT_LOGGER]),
      { category: ["logtape", "meta"], sinks: ["output"], lowestLevel: "warning" },
    ],
  });
}

/** The audit logger: its own sink only, every level. */
const AUDIT_LOGGER = {
  category: [AUDIT_CATEGORY],
  sinks: ["audit"],
  parentSinks: "override" as const,
  lowestLevel: "trace" as const,
};

/**
 * Sets (or with `undefined` removes) the sink of the {@linkcode AUDIT_CATEGORY} records. It
 * stays in place when {@linkcode setupLogging} or {@linkcode setLogLevel} reconfigure logging,
 * and works without them: then only audit records are written. The sink must not be
 * disposable (logtape disposes sinks on every reconfiguration); its owner closes it.
 *
 * @param sink The audit sink, or `undefined` for none.
 *
 * @example Usage
 * ```ts
 * import { getLogger } from "@logtape/logtape";
 * import { AUDIT_CATEGORY, setAuditSink } from "./logging.ts";
 * import assert from "node:assert/strict";
 *
 * const records: unknown[] = [];
 * await setAuditSink((record) => records.push(record.properties));
 * getLogger([AUDIT_CATEGORY]).info("{event}", { event: "ConfigReloaded" });
 * await setAuditSink(undefined);
 * assert.equal(records.length, 1);
 * ```
 */
export async function setAuditSink(sink: Sink | undefined): Promise<void> {
  auditSink = sink;
  if (currentState === undefined && sink === undefined) await reset();
  else await applyState(currentState ?? SILENT_STATE);
}

/**
 * Removes the logging configuration; records are dropped until {@linkcode setupLogging} runs
 * again. The audit sink, if set, stays. For tests and shutdown.
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
  if (auditSink === undefined) await reset();
  else await applyState(SILENT_STATE);
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
