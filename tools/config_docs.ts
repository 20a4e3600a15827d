/**
 * `deno task docs:config`: writes docs/CONFIG.md, the configuration reference, from the schema
 * in `lib/config/` and the comments in `config/empath.example.toml`. With `--check` it writes
 * nothing and exits 1 when docs/CONFIG.md is out of date. Either way it exits 1, naming each
 * key, when the example does not document the schema.
 *
 * Usage: `deno task docs:config [--check]`
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { ConfigDocsError, configJsonSchema, generateConfigDocs } from "../lib/config/mod.ts";

/** The annotated example configuration. */
export const EXAMPLE_PATH: string = fileURLToPath(
  new URL("../config/empath.example.toml", import.meta.url),
);

/** The generated configuration reference. */
export const DOCS_PATH: string = fileURLToPath(new URL("../docs/CONFIG.md", import.meta.url));

/** What to run to bring docs/CONFIG.md up to date. */
export const REGENERATE_COMMAND = "deno task docs:config";

/**
 * Generates docs/CONFIG.md and writes it, or with `--check` compares it.
 *
 * @param args The command-line arguments: nothing, or `--check`.
 * @returns The exit code: 0 on success, 1 when stale or the example is incomplete, 2 on a
 * usage error.
 *
 * @example Usage
 * ```ts ignore
 * import { main } from "./config_docs.ts";
 *
 * Deno.exit(await main(["--check"]));
 * ```
 */
export async function main(args: readonly string[]): Promise<number> {
  const isCheck = args.includes("--check");
  if (args.some((arg) => arg !== "--check")) {
    console.error("Usage: deno task docs:config [--check]");
    return 2;
  }
  let markdown: string;
  try {
    markdown = generateConfigDocs(configJsonSchema(), await Deno.readTextFile(EXAMPLE_PATH));
  } catch (error) {
    if (!(error instanceof ConfigDocsError)) throw error;
    console.error(`${error.message}\nDocument these keys in config/empath.example.toml.`);
    return 1;
  }
  const current = await Deno.readTextFile(DOCS_PATH).catch(() => "");
  if (isCheck) {
    if (current === markdown) return 0;
    console.error(`docs/CONFIG.md is out of date: run \`${REGENERATE_COMMAND}\``);
    return 1;
  }
  if (current !== markdown) await Deno.writeTextFile(DOCS_PATH, markdown);
  console.log(`docs/CONFIG.md ${current === markdown ? "is up to date" : "written"}`);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
