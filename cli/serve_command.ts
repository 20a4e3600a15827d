import { type Config, ConfigError, loadConfig } from "../lib/config/mod.ts";
import { flushObservability, getLogger, type LogLevel, setupLogging } from "../lib/observe/mod.ts";
import { checkStartup, type StartupProblemKind } from "../lib/preflight.ts";
import { SpoolError } from "../lib/queue/mod.ts";
import { ListenError, TlsSetupError } from "../lib/server/mod.ts";
import { EXIT_CONFIG, EXIT_FAILURE, EXIT_FORCED, EXIT_IOERR, EXIT_OK } from "./exit_codes.ts";
import type { CliIo } from "./io.ts";

/** Options of `empath serve`. */
export interface ServeOptions {
  /** The configuration file; without it, the defaults. */
  config?: string;
  /** Overrides `[observe.log] level`. */
  logLevel?: LogLevel;
  /** Overrides `[observe.log] format`. */
  logFormat?: "json" | "text";
}

const SHUTDOWN_SIGNALS: readonly Deno.Signal[] = ["SIGINT", "SIGTERM"];

async function loadServeConfig(options: ServeOptions, io: CliIo): Promise<Config | undefined> {
  let config: Config;
  try {
    config = await loadConfig(options.config);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.writeErr(`${error.message}\nempath: refusing to start with an invalid configuration\n`);
    return undefined;
  }
  applyOverrides(config, options);
  return config;
}

/** `--log-level` and `--log-format` win over the file, at start and at every reload. */
function applyOverrides(config: Config, options: ServeOptions): void {
  config.observe.log.level = options.logLevel ?? config.observe.log.level;
  config.observe.log.format = options.logFormat ?? config.observe.log.format;
}

/** What SIGINT and SIGTERM do: the first stops gracefully, the next one forces the exit. */
interface ShutdownHandlers {
  stop(signal: Deno.Signal): void;
  force(signal: Deno.Signal): void;
}

function onShutdownSignals(handlers: ShutdownHandlers): () => void {
  const removers: (() => void)[] = [];
  let received = 0;
  for (const signal of SHUTDOWN_SIGNALS) {
    const handler = () => received++ === 0 ? handlers.stop(signal) : handlers.force(signal);
    try {
      Deno.addSignalListener(signal, handler);
      removers.push(() => Deno.removeSignalListener(signal, handler));
    } catch {
      // SIGTERM cannot be listened to on Windows; SIGINT still works there.
    }
  }
  return () => removers.splice(0).forEach((remove) => remove());
}

/** SIGHUP re-reads the config file; an invalid file is reported and the running config stays. */
function onReloadSignal(
  path: string | undefined,
  options: ServeOptions,
  empath: { reload(config: Config): Promise<unknown> },
  logger: ReturnType<typeof getLogger>,
): () => void {
  const handler = async () => {
    if (path === undefined) {
      logger.warn(
        "SIGHUP ignored: Empath runs on its built-in defaults, there is no file to reload",
      );
      return;
    }
    try {
      const next = await loadConfig(path);
      applyOverrides(next, options);
      await empath.reload(next);
      logger.info("Configuration {path} reloaded on SIGHUP", { path });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      logger.error("Configuration {path} not reloaded, the running one stays: {message}", {
        path,
        message,
      });
    }
  };
  try {
    Deno.addSignalListener("SIGHUP", handler);
    return () => Deno.removeSignalListener("SIGHUP", handler);
  } catch {
    return () => {}; // no SIGHUP on this platform
  }
}

function exitCodeFor(kind: StartupProblemKind): number {
  return kind === "config" ? EXIT_CONFIG : EXIT_IOERR;
}

/** Start-up failures that are the deployment's, not Empath's: reported in one line. */
function startFailureKind(error: unknown): StartupProblemKind | undefined {
  if (error instanceof TlsSetupError || error instanceof ConfigError) return "config";
  if (error instanceof ListenError || error instanceof SpoolError) return "io";
  return undefined;
}

/**
 * `empath serve`: loads the configuration (refusing an invalid one), checks what it names (TLS
 * files, queue directory, ports), sets up logging, starts Empath and runs until SIGINT or
 * SIGTERM stops it gracefully (within `shutdown_grace`); a second signal exits at once.
 *
 * @returns {@linkcode EXIT_OK} after a clean stop, {@linkcode EXIT_CONFIG} for an invalid
 * configuration or unusable TLS files, {@linkcode EXIT_IOERR} for an unwritable queue directory
 * or a port in use, {@linkcode EXIT_FAILURE} if Empath fails otherwise. A forced exit ends the
 * process with {@linkcode EXIT_FORCED} without returning.
 */
export async function serveCommand(options: ServeOptions, io: CliIo): Promise<number> {
  const config = await loadServeConfig(options, io);
  if (config === undefined) return EXIT_CONFIG;
  // Before any log line, so a refused start prints exactly its problems.
  const problems = await checkStartup(config);
  for (const problem of problems) io.writeErr(`empath: ${problem.message}\n`);
  if (problems.length > 0) return exitCodeFor(problems[0].kind);
  await setupLogging(config.observe.log);
  const logger = getLogger("cli");
  logger.info("Starting Empath with {source}", {
    source: options.config ?? "the built-in defaults",
  });
  const { startEmpath } = await import("../lib/app.ts");
  // Listen for signals before starting, so a SIGTERM during startup still stops cleanly.
  const shutdown = Promise.withResolvers<void>();
  const removeSignalListeners = onShutdownSignals({
    stop(signal) {
      logger.info("Stopping on {signal}; another one forces the exit", { signal });
      shutdown.resolve();
    },
    force(signal) {
      logger.warn("Exiting at once on a second {signal}", { signal });
      Deno.exit(EXIT_FORCED);
    },
  });
  let empath: Awaited<ReturnType<typeof startEmpath>>;
  try {
    empath = await startEmpath(config, {
      configPath: options.config,
      adjust: (next) => applyOverrides(next, options),
    });
  } catch (error) {
    removeSignalListeners();
    const kind = startFailureKind(error);
    if (kind === undefined) logger.fatal("Empath failed to start: {error}", { error });
    else io.writeErr(`empath: ${error instanceof Error ? error.message : String(error)}\n`);
    return kind === undefined ? EXIT_FAILURE : exitCodeFor(kind);
  }
  const removeReloadListener = onReloadSignal(options.config, options, empath, logger);
  await Promise.race([shutdown.promise, empath.closed]);
  const code = await stopGracefully(empath, logger);
  removeSignalListeners();
  removeReloadListener();
  return code;
}

/** Stops within the configured grace period, then flushes logs and telemetry. */
async function stopGracefully(
  empath: { stop(): Promise<void> },
  logger: ReturnType<typeof getLogger>,
): Promise<number> {
  let code = EXIT_OK;
  try {
    await empath.stop();
    logger.info("Empath stopped");
  } catch (error) {
    logger.fatal("Empath failed to stop: {error}", { error });
    code = EXIT_FAILURE;
  }
  await flushObservability();
  return code;
}
