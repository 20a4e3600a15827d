/** One changed setting between two configurations. */
export interface ConfigChange {
  /** Key path, e.g. `delivery.defaults.rate` or `routes[1].to`. */
  readonly path: string;
  readonly before: unknown;
  readonly after: unknown;
}

/**
 * Lists the settings that differ between two configurations (pass them through
 * `redactConfig` first so that secrets never appear in the diff).
 *
 * @example
 * ```ts
 * import { diffConfig } from "./diff.ts";
 * diffConfig({ a: { b: 1 } }, { a: { b: 2 } }); // [{ path: "a.b", before: 1, after: 2 }]
 * ```
 */
export function diffConfig(before: unknown, after: unknown, path = ""): ConfigChange[] {
  if (isRecord(before) && isRecord(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) =>
      diffConfig(before[key], after[key], path ? `${path}.${key}` : key)
    );
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((item, i) => diffConfig(item, after[i], `${path}[${i}]`));
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [{ path, before, after }];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
