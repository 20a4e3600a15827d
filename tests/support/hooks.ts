/**
 * Hook modules for integration tests: written into a temporary directory, with the URL of
 * Empath's `mod.ts` (for the helpers) at hand.
 */
import { join } from "node:path";
import type { HookConfig } from "../../lib/config/mod.ts";

/** The public module hook files import their helpers from. */
export const MOD_URL = new URL("../../mod.ts", import.meta.url).href;

/** A temporary directory for hook modules and the files they write; dispose to remove it. */
export interface HookDir extends AsyncDisposable {
  readonly path: string;
  /** Writes `source` as module `name` and returns its `[[hooks]]` entry. */
  write(name: string, source: string, options?: Partial<HookConfig>): Promise<HookConfig>;
  /** Reads a file the hooks wrote, or `undefined` if it is not there (yet). */
  read(name: string): Promise<string | undefined>;
}

/** Makes a {@linkcode HookDir}. */
export async function hookDir(): Promise<HookDir> {
  const path = await Deno.makeTempDir({ prefix: "empath-hooks-" });
  return {
    path,
    async write(name, source, options = {}) {
      const file = join(path, name);
      await Deno.writeTextFile(file, source);
      return { path: file, timeout: 2000, afterQueue: false, ...options };
    },
    async read(name) {
      try {
        return await Deno.readTextFile(join(path, name));
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return undefined;
        throw error;
      }
    },
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}
