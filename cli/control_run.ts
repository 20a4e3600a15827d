/**
 * Runs one `empath control` subcommand: finds the API, builds the client,
 * and maps failures to exit codes and messages.
 *
 * @module
 */
import { type Command, InvalidArgumentError } from "commander";
import { ConfigError } from "../lib/config/mod.ts";
import {
  ControlApiError,
  type ControlClient,
  ControlUnreachableError,
  createControlClient,
} from "./control_client.ts";
import { ControlTargetError, resolveControlTarget } from "./control_target.ts";
import { EXIT_CONFIG, EXIT_FAILURE, EXIT_OK, EXIT_UNREACHABLE, EXIT_USAGE } from "./exit_codes.ts";
import type { CliIo } from "./io.ts";

/** What a control subcommand works with. */
export interface ControlRun {
  /** The typed API client. */
  readonly client: ControlClient;
  /** `--json`: print the API's JSON instead of tables. */
  readonly json: boolean;
  /** Output and prompts. */
  readonly io: CliIo;
}

/** The body of a control subcommand; it may return an exit code other than 0. */
export type ControlHandler = (run: ControlRun, command: Command) => Promise<number | void>;

/** Where a control subcommand writes and how it reports its exit code. */
export interface ControlScope {
  /** Output and prompts. */
  readonly io: CliIo;
  /** Records the exit code. */
  readonly finish: (code: number) => void;
}

/** The options shared by every `empath control` subcommand. */
interface ControlGlobals {
  url?: string;
  token?: string;
  config?: string;
  json?: boolean;
}

/**
 * Wraps a handler as a commander action: API errors exit 1 with the API's
 * message and status, an unreachable API exits 3 naming the address, a missing
 * token exits 2 and an invalid configuration 78.
 *
 * @param scope The I/O and exit-code sink.
 * @param handler The subcommand's work.
 * @returns The commander action.
 */
export function controlAction(
  scope: ControlScope,
  handler: ControlHandler,
): (...args: unknown[]) => Promise<void> {
  return async (...args) => {
    const command = args.at(-1) as Command;
    scope.finish(await runControl(scope.io, command, handler));
  };
}

/**
 * Parses an option value as an integer of at least 1, for commander's `argParser`; anything else
 * is a usage error.
 *
 * @param value The option's text.
 * @returns The integer, still as text, as the API's query and the CLI's options take it.
 * @throws {InvalidArgumentError} If the text is not an integer of at least 1.
 *
 * @example Usage
 * ```ts
 * import { positiveInteger } from "./control_run.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(positiveInteger("10"), "10");
 * assert.throws(() => positiveInteger("0"));
 * ```
 */
export function positiveInteger(value: string): string {
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new InvalidArgumentError("expected an integer of at least 1");
  }
  return value;
}

/**
 * Prints an API answer as indented JSON.
 *
 * @param io Where to write.
 * @param body The parsed JSON.
 */
export function printJson(io: CliIo, body: unknown): void {
  io.writeOut(`${JSON.stringify(body, null, 2)}\n`);
}

async function runControl(io: CliIo, command: Command, handler: ControlHandler): Promise<number> {
  const globals = command.optsWithGlobals<ControlGlobals>();
  try {
    const target = await resolveControlTarget(globals, io.getEnv ?? (() => undefined));
    const run = { client: createControlClient(target), json: globals.json === true, io };
    return (await handler(run, command)) ?? EXIT_OK;
  } catch (error) {
    if (error instanceof ControlApiError) {
      io.writeErr(`empath: ${error.message} (HTTP ${error.status})\n`);
      return EXIT_FAILURE;
    }
    if (error instanceof ControlUnreachableError) {
      io.writeErr(`empath: ${error.message}\n`);
      return EXIT_UNREACHABLE;
    }
    if (error instanceof ControlTargetError) {
      io.writeErr(`empath: ${error.message}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof ConfigError) {
      io.writeErr(`${error.message}\n`);
      return EXIT_CONFIG;
    }
    throw error;
  }
}
