/**
 * The `empath` executable: runs the command line and exits with its code.
 *
 * @module
 */
import { runCli } from "./cli/mod.ts";

Deno.exit(await runCli(Deno.args));
