/**
 * The composition root: builds every service from a validated {@link Config},
 * starts them, and stops them in order (stop accepting → finish sessions →
 * close the queue). It holds no logic of its own.
 *
 * @module
 */
import type { Config } from "./config/mod.ts";
import { loadConfig, parseListenAddress } from "./config/mod.ts";
import { CachingResolver, DenoDnsBackend, parseNameServer } from "./dns/mod.ts";
import { createDeliveryEngine, type DeliveryEngine } from "./delivery/mod.ts";
import { getLogger, MailEvents } from "./observe/mod.ts";
import { type ControlServer, startControlServer } from "./control_server.ts";
import { applyReload, type Reloadable, type ReloadResult } from "./reload.ts";
import { openKvQueue, type QueueStore } from "./queue/mod.ts";
import {
  Authenticator,
  type ConnectionServices,
  type ConnectionSnapshot,
  type ListenerOptions,
  loadTlsContext,
  RelayPolicy,
  SmtpListener,
} from "./server/mod.ts";

const logger = getLogger(["empath", "app"]);

/** A running Empath instance. */
export interface Empath extends AsyncDisposable {
  /** Resolves once the instance has stopped. */
  readonly closed: Promise<void>;
  /** The bound SMTP listeners (real ports when configured with port 0). */
  readonly listeners: readonly { name: string; hostname: string; port: number }[];
  /** The queue the instance spools into. */
  readonly queue: QueueStore;
  /** The delivery engine (rate limits, breakers, wake-up). */
  readonly delivery: DeliveryEngine;
  /** The DNS cache (stats, entries, flush). */
  readonly dns: CachingResolver;
  /** The control API listener. */
  readonly control: { readonly hostname: string; readonly port: number };
  /** Open SMTP connections. */
  connections(): ConnectionSnapshot[];
  /**
   * Applies a new, already validated configuration without dropping
   * connections or queued mail (see lib/reload.ts for what changes live).
   */
  reload(config: Config): Promise<ReloadResult>;
  /** Stops accepting, lets open transactions finish (up to `graceMs`), closes the queue. */
  stop(graceMs?: number): Promise<void>;
}

/** How long open transactions may take to finish on stop, by default. */
export const DEFAULT_GRACE_MS = 10_000;

/**
 * Starts Empath from a configuration.
 *
 * @example
 * ```ts ignore
 * const empath = await startEmpath(defaultConfig());
 * await empath.stop();
 * ```
 */
export async function startEmpath(
  config: Config,
  options: { configPath?: string } = {},
): Promise<Empath> {
  const now = () => Date.now();
  const queue = await openQueue(config);
  const dns = buildResolver(config);
  const events = new MailEvents();
  const delivery = createDeliveryEngine(config, { queue, dns, clock: { now }, events });
  const listeners = new Map<string, SmtpListener>();
  const onQueued: ConnectionServices["onQueued"] = ({ id }) => {
    events.publish({ type: "received", id, at: now() });
    delivery.wake();
  };
  const reloadable: Reloadable = {
    config,
    listeners,
    delivery,
    buildServices: (next) => buildServices(next, queue, now, onQueued),
    startListener,
    updateListener: (listener, next, listen, services) =>
      listener.update(listenerOptions(next, listen, services).settings, services),
  };
  let control: ControlServer | undefined;
  try {
    const services = await reloadable.buildServices(config);
    for (const listen of config.listen) {
      listeners.set(listen.address, await startListener(config, listen, services));
    }
    control = await startControlServer(config, {
      queue,
      delivery,
      dns,
      connections: () => [...listeners.values()].flatMap((listener) => listener.connections()),
      events,
      reload: options.configPath === undefined
        ? undefined
        : async () => applyReload(reloadable, await loadConfig(options.configPath)),
    });
  } catch (error) {
    await Promise.all([...listeners.values()].map((listener) => listener.stop(0)));
    await queue.close();
    throw error;
  }
  if (config.delivery.enabled) delivery.start();
  return runningInstance({ queue, delivery, dns, reloadable, control });
}

function buildResolver(config: Config): CachingResolver {
  const backend = new DenoDnsBackend({
    nameServer: config.dns.nameServer ? parseNameServer(config.dns.nameServer) : undefined,
    timeoutMs: config.dns.timeout,
  });
  return new CachingResolver(backend, {
    clock: { now: () => Date.now() },
    positiveTtlMs: config.dns.cacheTtl,
    negativeTtlMs: config.dns.negativeTtl,
  });
}

async function openQueue(config: Config): Promise<QueueStore> {
  const started = performance.now();
  const queue = await openKvQueue(config.queue.path, { clock: { now: () => Date.now() } }, {
    maxAgeMs: config.queue.maxAge,
  });
  const orphans = await queue.cleanupOrphans();
  const count = await queue.count();
  logger.info("Queue {path} opened with {count} messages in {ms} ms", {
    path: config.queue.path,
    count,
    orphansRemoved: orphans,
    ms: Math.round(performance.now() - started),
  });
  return queue;
}

async function buildServices(
  config: Config,
  queue: QueueStore,
  now: () => number,
  onQueued: ConnectionServices["onQueued"],
): Promise<ConnectionServices> {
  const tlsContext = config.tls ? await loadTlsContext(config.tls) : undefined;
  return {
    queue,
    policy: new RelayPolicy(config.policy),
    authenticator: new Authenticator(config.auth.users),
    tlsContext,
    now,
    onQueued,
  };
}

function listenerOptions(
  config: Config,
  listen: Config["listen"][number],
  services: ConnectionServices,
): ListenerOptions {
  const { hostname, port } = parseListenAddress(listen.address);
  const { limits, policy } = config;
  return {
    hostname,
    port,
    caps: limits,
    settings: {
      listener: listen.name,
      hostname: config.hostname,
      session: {
        hostname: config.hostname,
        maxMessageSize: policy.maxMessageSize,
        maxRecipients: policy.maxRecipients,
        maxLineLength: limits.maxLineLength,
        maxCommandLength: limits.maxCommandLength,
        maxErrors: limits.maxErrors,
        maxCommands: limits.maxCommands,
        starttls: listen.starttls && services.tlsContext !== undefined,
        tls: false,
        auth: listen.auth,
      },
      timeouts: { ...limits.timeouts, tls: limits.timeouts.tlsHandshake },
    },
  };
}

async function startListener(
  config: Config,
  listen: Config["listen"][number],
  services: ConnectionServices,
): Promise<SmtpListener> {
  if (listen.starttls && services.tlsContext === undefined) {
    logger.info("STARTTLS is not offered on listener {name}: no [tls] certificate is configured", {
      name: listen.name,
    });
  }
  const listener = await SmtpListener.start(listenerOptions(config, listen, services), services);
  const bound = listener.address;
  logger.info("SMTP listener {name} ready on {hostname}:{port}", { name: listen.name, ...bound });
  return listener;
}

interface Parts {
  readonly queue: QueueStore;
  readonly delivery: DeliveryEngine;
  readonly dns: CachingResolver;
  readonly reloadable: Reloadable;
  readonly control: ControlServer;
}

function runningInstance(parts: Parts): Empath {
  const { queue, delivery, dns, reloadable, control } = parts;
  const listeners = () => [...reloadable.listeners.values()];
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => resolveClosed = resolve);
  let stopping: Promise<void> | undefined;
  const stop = (graceMs = DEFAULT_GRACE_MS) => {
    stopping ??= (async () => {
      logger.info("Stopping: closing {count} listeners", { count: reloadable.listeners.size });
      await Promise.all(listeners().map((listener) => listener.stop(graceMs)));
      await control.shutdown();
      await delivery.stop();
      await queue.close();
      logger.info("Stopped");
      resolveClosed();
    })();
    return stopping;
  };
  return {
    closed,
    queue,
    delivery,
    dns,
    control: { hostname: control.hostname, port: control.port },
    get listeners() {
      return [...reloadable.listeners.entries()].map(([address, listener]) => ({
        name: reloadable.config.listen.find((l) => l.address === address)?.name ?? address,
        ...listener.address,
      }));
    },
    connections: () => listeners().flatMap((listener) => listener.connections()),
    reload: (next) => applyReload(reloadable, next),
    stop,
    [Symbol.asyncDispose]: () => stop(),
  };
}
