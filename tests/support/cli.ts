/**
 * `main.ts` run to completion as an operator runs it: `empath serve` that must refuse to start,
 * and `empath control …` against a daemon started by `spawnEmpath()`.
 */
import assert from "node:assert/strict";

/** The entry point every CLI test runs. */
export const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** How a finished run of `main.ts` ended. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@linkcode runMain}. */
export interface RunMainOptions {
  /** The working directory. */
  readonly cwd: string;
  /** Environment variables added to the inherited ones. */
  readonly env?: Record<string, string>;
  /** Kills the run after this long. @default {no limit} */
  readonly timeoutMs?: number;
}

/** Runs `deno run --unstable-kv -A main.ts ARGS…` to completion (no stdin). */
export async function runMain(args: string[], options: RunMainOptions): Promise<CliResult> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--unstable-kv", "-A", MAIN, ...args],
    cwd: options.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: options.env,
    signal: options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs),
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** `empath control --config FILE …` as an operator runs it. */
export interface ControlCli {
  /** Runs `empath control ARGS…` and says how it ended. */
  run(...args: string[]): Promise<CliResult>;
  /** Runs `empath control ARGS…`, fails the test unless it exits 0, and returns its stdout. */
  ok(...args: string[]): Promise<string>;
}

/**
 * The control CLI of the daemon configured by the file `config`: it finds the API address and
 * token through `--config` alone (`EMPATH_CONTROL_URL` and `EMPATH_CONTROL_TOKEN` are emptied).
 * `env` adds variables, e.g. `{ OTEL_DENO: "" }`.
 */
export function controlCli(
  config: string,
  options: { readonly cwd: string; readonly env?: Record<string, string> },
): ControlCli {
  const env = { EMPATH_CONTROL_URL: "", EMPATH_CONTROL_TOKEN: "", ...options.env };
  const run = (...args: string[]) =>
    runMain(["control", "--config", config, ...args], { cwd: options.cwd, env });
  const ok = async (...args: string[]) => {
    const result = await run(...args);
    assert.equal(result.code, 0, `${args.join(" ")}: ${result.stderr}`);
    return result.stdout;
  };
  return { run, ok };
}
