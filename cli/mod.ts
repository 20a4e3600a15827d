/**
 * The `empath` command line (commander): `serve` (the default), `config check`, `control …`,
 * `config hash-password`, `dkim keygen`, `healthcheck` and `version`.
 *
 * @example Usage
 * ```ts
 * import { runCli } from "./mod.ts";
 *
 * const io = { writeOut: () => {}, writeErr: () => {}, readStdin: async () => "", readSecret: async () => undefined };
 * await runCli(["version"], io);
 * ```
 *
 * @module
 */

export { runCli, versionText } from "./cli.ts";
export type { CliIo } from "./io.ts";
export { denoCliIo } from "./io.ts";
export { EXIT_CONFIG, EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "./exit_codes.ts";
