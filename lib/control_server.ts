/**
 * Serves the control API (lib/control) on its own listener for a running
 * instance: part of the composition root, kept apart from lib/app.ts so each
 * file has one job.
 *
 * @module
 */
import type { Config } from "./config/mod.ts";
import { parseListenAddress, redactConfig } from "./config/mod.ts";
import { type ControlDeps, createControlApp, openTokenVerifier } from "./control/mod.ts";
import { getLogger, logLevels, setLogLevel } from "./observe/mod.ts";
import { VERSION } from "./version.ts";

const logger = getLogger(["empath", "control"]);

/** A running control listener. */
export interface ControlServer {
  readonly hostname: string;
  readonly port: number;
  shutdown(): Promise<void>;
}

/** The instance parts the control API acts through. */
export type ControlServices = Pick<
  ControlDeps,
  | "queue"
  | "delivery"
  | "dns"
  | "connections"
  | "events"
  | "reload"
  | "shuttingDown"
  | "metrics"
  | "dkim"
  | "audit"
  | "tlsRpt"
>;

/**
 * Starts the control API on `[control] listen`. Tokens come from the config,
 * or from `token_file`, created with a random token (mode 0600) on first start;
 * the token itself is never logged.
 */
export async function startControlServer(
  config: Config,
  services: ControlServices & {
    /** The configuration in effect, after any reload. @default {() => config} */
    current?: () => Config;
  },
): Promise<ControlServer> {
  const { current = () => config, ...rest } = services;
  const { verifier, tokenFile } = await openTokenVerifier(config.control);
  if (tokenFile?.created) {
    logger.info("Control API token written to {path} (mode 0600)", { path: tokenFile.path });
  }
  const app = createControlApp({
    ...rest,
    config: () => redactConfig(current()),
    priority: () => current().priority,
    tokens: verifier,
    logging: { levels: logLevels, set: setLogLevel },
    maxBody: config.control.maxBody,
    maxMessageSize: config.policy.maxMessageSize,
    hostname: config.hostname,
    version: VERSION,
    startedAt: Date.now(),
    now: () => Date.now(),
  });
  const { hostname, port } = parseListenAddress(config.control.listen);
  const server = Deno.serve({ hostname, port, onListen() {} }, app.fetch);
  const addr = server.addr as Deno.NetAddr;
  logger.info("Control API ready on {hostname}:{port}", {
    hostname: addr.hostname,
    port: addr.port,
  });
  return { hostname: addr.hostname, port: addr.port, shutdown: () => server.shutdown() };
}
