import { type Config, ConfigError, loadConfig } from "../lib/config/mod.ts";
import { getLogger, type LogLevel, setupLogging } from "../lib/observe/mod.ts";
import { EXIT_CONFIG, EXIT_FAILURE, EXIT_OK } from "./exit_codes.ts";
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
  config.observe.log.level = options.logLevel ?? config.observe.log.level;
  config.observe.log.format = options.logFormat ?? config.observe.log.format;
  return config;
}

function onShutdownSignal(listener: (signal: Deno.Signal) => void): () => void {
  const removers: (() => void)[] = [];
  for (const signal of SHUTDOWN_SIGNALS) {
    const handler = () => listener(signal);
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
      await empath.reload(await loadConfig(path));
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

/**
 * `empath serve`: loads the configuration (refusing an invalid one), sets up logging, starts
 * Empath and runs until SIGINT or SIGTERM stops it.
 *
 * @returns {@linkcode EXIT_OK} after a clean stop, {@linkcode EXIT_CONFIG} for an invalid
 * configuration, {@linkcode EXIT_FAILURE} if Empath cannot start or fails.
 */
export async function serveCommand(options: ServeOptions, io: CliIo): Promise<number> {
  const config = await loadServeConfig(options, io);
  if (config === undefined) return EXIT_CONFIG;
  await setupLogging(config.observe.log);
  const logger = getLogger("cli");
  logger.info("Starting Empath with {source}", {
    source: options.config ?? "the built-in defaults",
  });
  const { startEmpath } = await import("../lib/app.ts");
  let removeReloadListener = () => {};
  // Listen for signals before starting, so a SIGTERM during startup still stops cleanly.
  let empath: Awaited<ReturnType<typeof startEmpath>> | undefined;
  let stopRequested = false;
  const stop = () =>
    empath?.stop().catch((error) => logger.error("Stop failed: {error}", { error }));
  const removeSignalListeners = onShutdownSignal((signal) => {
    logger.info("Stopping on {signal}", { signal });
    removeSignalListeners();
    stopRequested = true;
    stop();
  });
  try {
    empath = await startEmpath(config, { configPath: options.config });
    if (stopRequested) stop();
    removeReloadListener = onReloadSignal(options.config, empath, logger);
    await empath.closed;
  } catch (error) {
    logger.fatal("Empath failed: {error}", { error });
    return EXIT_FAILURE;
  } finally {
    removeSignalListeners();
    removeReloadListener();
  }
  logger.info("Empath stopped");
  return EXIT_OK;
}
