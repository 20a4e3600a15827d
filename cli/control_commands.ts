/**
 * `empath control …`: a command-line client of the control API. Every
 * subcommand but `token create` is one or two HTTP requests; the CLI never
 * opens the queue itself.
 *
 * @module
 */
import { type Command, Option } from "commander";
import { hashToken, newToken } from "../lib/control/mod.ts";
import { addQueueCommands } from "./control_queue_commands.ts";
import type { ControlScope } from "./control_run.ts";
import { addServiceCommands } from "./control_service_commands.ts";
import { addTlsRptCommands } from "./control_tls_rpt_commands.ts";
import { CONTROL_TOKEN_ENV, CONTROL_URL_ENV } from "./control_target.ts";
import { EXIT_OK } from "./exit_codes.ts";
import type { CliIo } from "./io.ts";

/** Options of `empath control token create`. */
export interface TokenCreateOptions {
  /** The `name` of the `[[control.tokens]]` entry. */
  name: string;
  /** The `scope` of the entry. */
  scope: "read" | "inject" | "admin";
}

/**
 * Adds `control` and its subcommands to the program.
 *
 * @param program The `empath` program.
 * @param scope The I/O and exit-code sink.
 */
export function addControlCommands(program: Command, scope: ControlScope): void {
  const control = program.command("control")
    .description("talk to a running instance through its control API")
    .option("--url <url>", `control API base URL (env ${CONTROL_URL_ENV})`)
    .option("--token <token>", `bearer token (env ${CONTROL_TOKEN_ENV})`)
    .option(
      "-c, --config <file>",
      "the daemon's configuration, for [control] listen and token_file",
    )
    .option("--json", "print the API's JSON instead of tables");
  addQueueCommands(control, scope);
  addServiceCommands(control, scope);
  addTlsRptCommands(control, scope);
  control.command("token").description("control API tokens")
    .command("create")
    .description("print a new random token and its [[control.tokens]] entry (offline)")
    .option("--name <name>", "the entry's name", "cli")
    .addOption(
      new Option("--scope <scope>", "what the token may do").choices(["read", "inject", "admin"])
        .default("admin"),
    )
    .action(async (options: TokenCreateOptions) =>
      scope.finish(await tokenCreateCommand(options, scope.io))
    );
}

/**
 * `empath control token create`: prints a new token once, and the TOML entry
 * holding only its SHA-256 hash. Needs no running instance.
 *
 * @param options The entry's name and scope.
 * @param io Where to write.
 * @returns {@linkcode EXIT_OK}.
 */
export async function tokenCreateCommand(
  options: TokenCreateOptions,
  io: CliIo,
): Promise<number> {
  const token = newToken();
  io.writeOut(
    `Token (shown once, keep it secret):\n\n  ${token}\n\n` +
      `Add this to the [control] configuration and restart Empath:\n\n` +
      `[[control.tokens]]\nname = ${JSON.stringify(options.name)}\n` +
      `hash = "${await hashToken(token)}"\nscope = "${options.scope}"\n`,
  );
  return EXIT_OK;
}
