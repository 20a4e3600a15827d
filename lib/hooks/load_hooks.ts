import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ConfigError, type ConfigIssue, type HookConfig } from "../config/mod.ts";
import { getLogger } from "../observe/mod.ts";
import { HookSet, type LoadedHook } from "./hook_set.ts";
import { HOOK_PHASES, type HookPhase, type Hooks } from "./types.ts";

const logger = getLogger(["empath", "hooks"]);

/** An export whose name looks like a hook point (`on` and a capital letter). */
const HOOK_NAME_REGEXP = /^on[A-Z]/;

/**
 * Imports every `[[hooks]]` module with `import()` and checks its exports, so that a hook
 * that cannot work stops the start (or the reload) instead of failing under traffic.
 *
 * Each module URL carries `?v=` and a hash of the file's content: Deno caches modules by
 * URL, so a module changed on disk is imported afresh at a reload, and an unchanged one is
 * reused. Only the hook module itself is versioned: modules it imports are loaded once per
 * process.
 *
 * @param entries The `[[hooks]]` entries of a validated configuration.
 * @param source The configuration file, for error messages.
 * @returns The hooks, in configuration order.
 * @throws {ConfigError} With a `hooks[i].path` issue per module that cannot be read or
 * imported, exports a function under an unknown `on…` name, a non-function under a hook name,
 * or no hook at all.
 *
 * @example Usage
 * ```ts
 * import { loadHooks } from "./load_hooks.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal((await loadHooks([])).hooks.length, 0);
 * ```
 */
export async function loadHooks(
  entries: readonly HookConfig[],
  source?: string,
): Promise<HookSet> {
  const issues: ConfigIssue[] = [];
  const hooks: LoadedHook[] = [];
  for (const [index, entry] of entries.entries()) {
    try {
      hooks.push(await loadHook(entry));
    } catch (error) {
      if (!(error instanceof HookModuleError)) throw error;
      issues.push({ path: `hooks[${index}].path`, message: error.message });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues, source);
  for (const hook of hooks) {
    logger.info("Hook {hook} loaded: {phases}", {
      hook: hook.path,
      phases: HOOK_PHASES.filter((phase) => hook.module[phase] !== undefined).join(", "),
      after_queue: hook.afterQueue,
      timeout_ms: hook.timeoutMs,
    });
  }
  return new HookSet(hooks);
}

class HookModuleError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "HookModuleError";
  }
}

async function loadHook(entry: HookConfig): Promise<LoadedHook> {
  const file = resolve(entry.path);
  let content: Uint8Array<ArrayBuffer>;
  try {
    content = await Deno.readFile(file);
  } catch (cause) {
    throw new HookModuleError(`Cannot read hook module "${entry.path}": ${reason(cause)}`, {
      cause,
    });
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", content));
  const version = [...digest.subarray(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
  const url = `${pathToFileURL(file).href}?v=${version}`;
  let exports: Record<string, unknown>;
  try {
    exports = await import(url);
  } catch (cause) {
    throw new HookModuleError(`Cannot load hook module "${entry.path}": ${reason(cause)}`, {
      cause,
    });
  }
  const module = hookFunctions(entry, exports);
  return { path: entry.path, url, timeoutMs: entry.timeout, afterQueue: entry.afterQueue, module };
}

function hookFunctions(entry: HookConfig, exports: Record<string, unknown>): Hooks {
  const phases = new Set<string>(HOOK_PHASES);
  const module: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(exports)) {
    if (phases.has(name)) {
      if (typeof value !== "function") {
        throw new HookModuleError(
          `Cannot use hook module "${entry.path}": its export "${name}" is not a function`,
        );
      }
      module[name] = value;
    } else if (HOOK_NAME_REGEXP.test(name) && typeof value === "function") {
      throw new HookModuleError(
        `Cannot use hook module "${entry.path}": it exports "${name}", which is not a hook ` +
          `point (expected ${HOOK_PHASES.join(", ")})`,
      );
    }
  }
  if (Object.keys(module).length === 0) {
    throw new HookModuleError(
      `Cannot use hook module "${entry.path}": it exports none of ${HOOK_PHASES.join(", ")}`,
    );
  }
  const later: HookPhase[] = ["onQueued", "onDeliveryResult"];
  if (entry.afterQueue && !later.some((phase) => phase in module)) {
    throw new HookModuleError(
      `Cannot use hook module "${entry.path}" with after_queue = true: ` +
        "it exports neither onQueued nor onDeliveryResult",
    );
  }
  return Object.freeze(module) as Hooks;
}

/** The first line of an error's message: import errors can carry a code frame. */
function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0].trim();
}
