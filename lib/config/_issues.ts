import type { z } from "zod";
import type { ConfigIssue } from "./config_error.ts";
import { showValue } from "./_schema_values.ts";

const BARE_KEY_REGEXP = /^[A-Za-z0-9_-]+$/;

const TYPE_NAMES: Readonly<Record<string, string>> = {
  object: "a table",
  array: "an array",
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
};

/** Formats a zod path with TOML key names: `listen[1].address`, `a."b.c"`. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let text = "";
  for (const key of path) {
    if (typeof key === "number") text += `[${key}]`;
    else {
      const name = String(key);
      const shown = BARE_KEY_REGEXP.test(name) ? name : JSON.stringify(name);
      text += text === "" ? shown : `.${shown}`;
    }
  }
  return text;
}

/** Turns zod's issues into {@linkcode ConfigIssue}s, one per unknown key. */
export function toConfigIssues(issues: readonly z.core.$ZodIssue[]): ConfigIssue[] {
  return issues.flatMap((issue): ConfigIssue[] => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        path: formatKeyPath([...issue.path, key]),
        message: "unknown key: not a setting here (check the spelling; see docs/CONFIG.md)",
      }));
    }
    if (issue.code === "invalid_key") {
      return toConfigIssues(issue.issues).map((inner) => ({
        path: formatKeyPath(issue.path),
        message: inner.message,
      }));
    }
    return [{ path: formatKeyPath(issue.path), message: describeIssue(issue) }];
  });
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const shown = issue.input === undefined
    ? "missing required key"
    : `invalid value ${showValue(issue.input)}`;
  switch (issue.code) {
    case "custom":
      return issue.message;
    case "invalid_union":
      return issue.discriminator === undefined || !("options" in issue)
        ? `${shown}: ${issue.message}`
        : describeDiscriminator(issue.input, issue.discriminator, issue.options ?? []);
    case "invalid_type":
      return `${shown}: expected ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
    case "too_small":
      if (issue.origin === "array") {
        return `${shown}: expected an array of at least ${issue.minimum} item${
          issue.minimum === 1 ? "" : "s"
        }`;
      }
      return `${shown}: expected a value >= ${issue.minimum}`;
    default:
      return `${shown}: ${issue.message}`;
  }
}

/** A bad `kind` (or other tag) of a table: the tag's value, not the whole table, and the choices. */
function describeDiscriminator(
  input: unknown,
  discriminator: string,
  options: readonly unknown[],
): string {
  const value = typeof input === "object" && input !== null
    ? (input as Record<string, unknown>)[discriminator]
    : undefined;
  const shown = value === undefined ? "missing required key" : `invalid value ${showValue(value)}`;
  return `${shown}: expected one of ${options.map((option) => JSON.stringify(option)).join(", ")}`;
}
