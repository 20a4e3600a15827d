/**
 * Empath's version, kept equal to `version` in deno.json.
 *
 * @example Usage
 * ```ts
 * import { VERSION } from "./version.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(VERSION, /^\d+\.\d+\.\d+/);
 * ```
 */
export const VERSION = "0.1.0";

/** Facts about the build that produced the running program. */
export interface BuildInfo {
  /**
   * The source commit the program was built from, or `"unknown"` when it runs
   * from source: `deno task compile` passes the commit in (see tools/build_info.ts).
   */
  readonly commit: string;
}

/**
 * The build facts of a program run from source (`deno run main.ts`, `deno task start`): no
 * commit is known.
 *
 * @example Usage
 * ```ts
 * import { SOURCE_BUILD } from "./version.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(SOURCE_BUILD.commit, "unknown");
 * ```
 */
export const SOURCE_BUILD: BuildInfo = Object.freeze({ commit: "unknown" });
