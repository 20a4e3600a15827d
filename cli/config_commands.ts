import { ConfigError, configWarnings, hashPassword, loadConfig } from "../lib/config/mod.ts";
import { EXIT_CONFIG, EXIT_FAILURE, EXIT_OK } from "./exit_codes.ts";
import type { CliIo } from "./io.ts";

/**
 * `empath config check FILE`: prints `FILE: ok`, or every problem with its key path. A valid
 * but dangerous setting (an open relay) is printed as a `warning:` line on standard error and
 * does not change the exit code.
 *
 * @returns {@linkcode EXIT_OK} or {@linkcode EXIT_CONFIG}.
 */
export async function checkConfigCommand(file: string, io: CliIo): Promise<number> {
  let warnings: string[];
  try {
    warnings = configWarnings(await loadConfig(file));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.writeErr(`${error.message}\n`);
    return EXIT_CONFIG;
  }
  for (const warning of warnings) io.writeErr(`${file}: warning: ${warning}\n`);
  io.writeOut(`${file}: ok\n`);
  return EXIT_OK;
}

/** Options of `empath config hash-password`. */
export interface HashPasswordOptions {
  /** Read the password from standard input even when it is a terminal. */
  passwordStdin?: boolean;
}

/**
 * `empath config hash-password`: reads a password (prompting without echo on a terminal,
 * twice; otherwise all of standard input less one trailing newline) and prints its hash.
 *
 * @returns {@linkcode EXIT_OK}, or {@linkcode EXIT_FAILURE} for an empty or mistyped password.
 */
export async function hashPasswordCommand(
  options: HashPasswordOptions,
  io: CliIo,
): Promise<number> {
  let password = options.passwordStdin ? undefined : await io.readSecret("Password: ");
  if (password !== undefined) {
    const repeated = await io.readSecret("Repeat password: ");
    if (repeated !== password) {
      io.writeErr("empath: the passwords do not match\n");
      return EXIT_FAILURE;
    }
  }
  password ??= (await io.readStdin()).replace(/\r?\n$/, "");
  if (password === "") {
    io.writeErr("empath: the password is empty\n");
    return EXIT_FAILURE;
  }
  io.writeOut(`${await hashPassword(password)}\n`);
  return EXIT_OK;
}
