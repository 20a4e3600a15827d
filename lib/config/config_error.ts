/** One problem found in a configuration. */
export interface ConfigIssue {
  /** The TOML key path, such as `"policy.max_recipients"` or `"listen[1].address"`; `""` for the whole file. */
  readonly path: string;
  /** What is wrong: the bad value and what was expected. */
  readonly message: string;
  /** 1-based line of a TOML syntax error. */
  readonly line?: number;
  /** 1-based column of a TOML syntax error. */
  readonly column?: number;
}

/**
 * A configuration that cannot be used. {@linkcode ConfigError.issues} lists every problem;
 * the message has one line per issue, prefixed with the source file when known.
 *
 * @example Usage
 * ```ts
 * import { ConfigError } from "./config_error.ts";
 * import assert from "node:assert/strict";
 *
 * const error = new ConfigError([{ path: "queue.path", message: "expected a non-empty string" }], "empath.toml");
 * assert.equal(error.message, "empath.toml: queue.path: expected a non-empty string");
 * ```
 */
export class ConfigError extends Error {
  /** Every problem found, in document order where possible. */
  readonly issues: readonly ConfigIssue[];
  /** The file (or other source) the configuration came from, if known. */
  readonly source?: string;

  /**
   * @param issues The problems; at least one.
   * @param source The file the configuration came from.
   * @param options `cause`, for errors wrapping another.
   */
  constructor(issues: readonly ConfigIssue[], source?: string, options?: ErrorOptions) {
    super(issues.map((issue) => formatConfigIssue(issue, source)).join("\n"), options);
    this.name = "ConfigError";
    this.issues = issues;
    this.source = source;
  }
}

/**
 * Formats one issue as a line: `source:line:column: message` for syntax errors,
 * `source: path: message` otherwise.
 *
 * @param issue The issue.
 * @param source The file name to prefix, if any.
 * @returns One line of text.
 *
 * @example Usage
 * ```ts
 * import { formatConfigIssue } from "./config_error.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatConfigIssue({ path: "hostname", message: "bad" }), "hostname: bad");
 * ```
 */
export function formatConfigIssue(issue: ConfigIssue, source?: string): string {
  const column = issue.column ?? 1;
  let prefix = source ?? "";
  if (issue.line !== undefined) {
    prefix = source === undefined
      ? `line ${issue.line}, column ${column}`
      : `${source}:${issue.line}:${column}`;
  }
  const parts = [prefix, issue.path, issue.message].filter((part) => part !== "");
  return parts.join(": ");
}
