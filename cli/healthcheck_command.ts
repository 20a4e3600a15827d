/**
 * `empath healthcheck`: asks a running instance whether it is alive, for container
 * `HEALTHCHECK`s and service monitors on hosts without curl (the compiled binary is the
 * only program in the Docker image). `/healthz` and `/readyz` need no token.
 *
 * @module
 */
import { type Command, InvalidArgumentError } from "commander";
import { ConfigError, loadConfig, parseDuration } from "../lib/config/mod.ts";
import { CONTROL_URL_ENV, listenUrl } from "./control_target.ts";
import { EXIT_CONFIG, EXIT_FAILURE, EXIT_OK } from "./exit_codes.ts";
import type { CliIo } from "./io.ts";

/** Options of `empath healthcheck`. */
export interface HealthcheckOptions {
  /** `--url`: the control API's base URL. */
  url?: string;
  /** `--config`: the daemon's configuration, for `[control] listen`. */
  config?: string;
  /** `--ready`: ask `/readyz` (the queue answers) instead of `/healthz` (the process answers). */
  ready?: boolean;
  /** `--timeout`: how long to wait for the answer, in milliseconds. */
  timeout: number;
}

/** How long `empath healthcheck` waits by default, in milliseconds. */
export const HEALTHCHECK_TIMEOUT_MS = 5000;

/**
 * Adds `healthcheck` to the program.
 *
 * @param program The `empath` program.
 * @param scope Where output goes and how the exit code is recorded.
 */
export function addHealthcheckCommand(
  program: Command,
  scope: { io: CliIo; finish: (code: number) => void },
): void {
  program.command("healthcheck")
    .description("exit 0 if a running instance answers /healthz (for container health checks)")
    .option("--url <url>", `control API base URL (env ${CONTROL_URL_ENV})`)
    .option("-c, --config <file>", "the daemon's configuration, for [control] listen")
    .option("--ready", "ask /readyz (the queue answers) instead of /healthz")
    .option(
      "--timeout <duration>",
      "how long to wait, e.g. 3s",
      parseTimeout,
      HEALTHCHECK_TIMEOUT_MS,
    )
    .action(async (options: HealthcheckOptions) =>
      scope.finish(await healthcheckCommand(options, scope.io))
    );
}

function parseTimeout(value: string): number {
  try {
    const ms = parseDuration(/^\d+$/.test(value) ? Number(value) : value);
    if (ms > 0) return ms;
  } catch {
    // reported below
  }
  throw new InvalidArgumentError('expected a duration above 0, such as "3s" or "500ms"');
}

/**
 * `empath healthcheck`: `GET /healthz` (or `/readyz`) on the control API found from `--url`,
 * `EMPATH_CONTROL_URL` or `[control] listen` of the configuration (the defaults without
 * `--config`). Prints one line and exits 0 on a 2xx answer; exits 1 when nothing answers in
 * time or the answer is not 2xx (Docker treats 1 as unhealthy and reserves 2), 78 when the
 * configuration is invalid.
 *
 * @param options The flags.
 * @param io Where to write, and the environment.
 * @returns The exit code.
 *
 * @example Usage
 * ```ts ignore
 * const code = await healthcheckCommand({ url: "http://127.0.0.1:8025", timeout: 3000 }, io);
 * ```
 */
export async function healthcheckCommand(
  options: HealthcheckOptions,
  io: CliIo,
): Promise<number> {
  let base: string;
  try {
    base = await healthcheckBaseUrl(options, io.getEnv ?? (() => undefined));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.writeErr(`${error.message}\n`);
    return EXIT_CONFIG;
  }
  const url = `${base}${options.ready === true ? "/readyz" : "/healthz"}`;
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(options.timeout) });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    io.writeErr(`empath: ${url} did not answer: ${reason}\n`);
    return EXIT_FAILURE;
  }
  const body = await response.text();
  if (!response.ok) {
    io.writeErr(`empath: ${url} answered HTTP ${response.status}: ${body.trim()}\n`);
    return EXIT_FAILURE;
  }
  io.writeOut(`${url}: ${body.trim()}\n`);
  return EXIT_OK;
}

async function healthcheckBaseUrl(
  options: HealthcheckOptions,
  getEnv: (name: string) => string | undefined,
): Promise<string> {
  const given = options.url || getEnv(CONTROL_URL_ENV);
  const url = given ? given : listenUrl((await loadConfig(options.config)).control.listen);
  return url.replace(/\/+$/, "");
}
