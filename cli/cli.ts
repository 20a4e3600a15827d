import { Command, CommanderError, Option } from "commander";
import { type BuildInfo, SOURCE_BUILD, VERSION } from "../lib/version.ts";
import { addControlCommands } from "./control_commands.ts";
import { checkConfigCommand, hashPasswordCommand } from "./config_commands.ts";
import { addDkimCommands } from "./dkim_commands.ts";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "./exit_codes.ts";
import { addHealthcheckCommand } from "./healthcheck_command.ts";
import { type CliIo, denoCliIo } from "./io.ts";
import { serveCommand } from "./serve_command.ts";

const LOG_LEVELS = ["trace", "debug", "info", "warning", "error", "fatal"];
const PROGRAM_FLAGS = new Set(["-h", "--help", "-V", "--version"]);

/** `serve` is the default command: `empath` and `empath --config FILE` mean `empath serve …`. */
function withDefaultCommand(args: readonly string[]): string[] {
  const first = args[0];
  if (first === undefined) return ["serve"];
  if (first.startsWith("-") && !PROGRAM_FLAGS.has(first)) return ["serve", ...args];
  return [...args];
}

/**
 * The version line: `empath <version> (deno <version>, <os>/<arch>, commit <commit>)`.
 *
 * @param build The build facts; from source the commit is `"unknown"`.
 * @returns The line, without a newline.
 *
 * @example Usage
 * ```ts
 * import { versionText } from "./cli.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(versionText(), /^empath \S+ \(deno \S+, \S+\/\S+, commit unknown\)$/);
 * assert.match(versionText({ commit: "0123abcd" }), /, commit 0123abcd\)$/);
 * ```
 */
export function versionText(build: BuildInfo = SOURCE_BUILD): string {
  const platform = `${Deno.build.os}/${Deno.build.arch}`;
  return `empath ${VERSION} (deno ${Deno.version.deno}, ${platform}, commit ${build.commit})`;
}

function addServeCommand(program: Command, io: CliIo, finish: (code: number) => void): void {
  program.command("serve")
    .description("run the mail server (the default command)")
    .option("-c, --config <file>", "configuration file (default: built-in defaults)")
    .addOption(
      new Option("--log-level <level>", "override [observe.log] level").choices(LOG_LEVELS),
    )
    .addOption(
      new Option("--log-format <format>", "override [observe.log] format").choices([
        "json",
        "text",
      ]),
    )
    .action(async (options) => finish(await serveCommand(options, io)));
}

function addConfigCommands(program: Command, io: CliIo, finish: (code: number) => void): void {
  const config = program.command("config").description("check configuration, hash passwords");
  config.command("check")
    .description("validate a configuration file and report every problem")
    .argument("<file>", "the TOML file to check")
    .action(async (file: string) => finish(await checkConfigCommand(file, io)));
  config.command("hash-password")
    .description("print an scrypt hash for [[auth.users]] password_hash")
    .option("--password-stdin", "read the password from standard input, not a prompt")
    .action(async (options) => finish(await hashPasswordCommand(options, io)));
}

function buildProgram(io: CliIo, finish: (code: number) => void, build: BuildInfo): Command {
  const program = new Command("empath")
    .description("Empath, a mail transfer agent")
    .exitOverride()
    .configureOutput({ writeOut: io.writeOut, writeErr: io.writeErr })
    .showSuggestionAfterError(true)
    .showHelpAfterError('(run "empath --help" for usage)')
    .allowExcessArguments(false)
    .version(versionText(build), "-V, --version", "print the version");
  addServeCommand(program, io, finish);
  addConfigCommands(program, io, finish);
  addControlCommands(program, { io, finish });
  addDkimCommands(program, { io, finish });
  addHealthcheckCommand(program, { io, finish });
  program.command("version")
    .description("print the version")
    .action(() => {
      io.writeOut(`${versionText(build)}\n`);
      finish(EXIT_OK);
    });
  return program;
}

/**
 * Runs the `empath` command line in-process.
 *
 * Exit codes: 0 success (also `--help`), 1 failure (for `control`, an API error), 2 usage
 * error (unknown flag or subcommand, missing argument, bad option value), 3 the control API
 * cannot be reached, 74 `serve` cannot start for an I/O reason (queue directory, port), 78 invalid
 * configuration (or unusable TLS files for `serve`). `serve` stopped by a second signal exits
 * the process with 130 directly.
 *
 * @param args The arguments after the program name, like `Deno.args`.
 * @param io Where output goes and input comes from; the process streams by default.
 * @param build What `empath version` reports about the build; {@linkcode SOURCE_BUILD} by
 * default, the real commit in the entry point `deno task compile` generates.
 * @returns The exit code.
 *
 * @example Usage
 * ```ts
 * import { runCli } from "./cli.ts";
 * import assert from "node:assert/strict";
 *
 * const out: string[] = [];
 * const io = { writeOut: (text: string) => out.push(text), writeErr: () => {}, readStdin: async () => "", readSecret: async () => undefined };
 * assert.equal(await runCli(["version"], io), 0);
 * assert.match(out.join(""), /^empath /);
 * ```
 */
export async function runCli(
  args: readonly string[],
  io: CliIo = denoCliIo(),
  build: BuildInfo = SOURCE_BUILD,
): Promise<number> {
  let exitCode = EXIT_OK;
  const program = buildProgram(io, (code) => exitCode = code, build);
  try {
    await program.parseAsync(withDefaultCommand(args), { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    const message = error instanceof Error ? error.message : String(error);
    io.writeErr(`empath: ${message}\n`);
    return EXIT_FAILURE;
  }
  return exitCode;
}
