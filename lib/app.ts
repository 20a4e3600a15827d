/**
 * The composition root: builds every service from a validated {@link Config},
 * starts them, and stops them in order (stop accepting → finish sessions and
 * deliveries, within one grace period → close the listeners, the control API
 * and the queue). It holds no logic of its own.
 *
 * @module
 */
import type { Config } from "./config/mod.ts";
import { configWarnings, loadConfig } from "./config/mod.ts";
import type { CachingResolver } from "./dns/mod.ts";
import { createDeliveryEngine, type DeliveryEngine } from "./delivery/mod.ts";
import {
  AfterQueueWorker,
  deliveryResultInput,
  dispatchAfterQueue,
  HookRegistry,
  loadHooks,
} from "./hooks/mod.ts";
import { loadCaFile } from "./mta_sts/mod.ts";
import { EmpathMetrics, getLogger, MailEvents } from "./observe/mod.ts";
import { type ControlServer, startControlServer } from "./control_server.ts";
import { applyReload, type Reloadable, type ReloadResult } from "./reload.ts";
import type { QueueStore } from "./queue/mod.ts";
import { VERSION } from "./version.ts";
import type { ConnectionSnapshot, SmtpListener } from "./server/mod.ts";
import { buildMtaSts, buildResolver, loadDkimSigner, openAudit, openQueue } from "./_app_parts.ts";
import { announceQueued, buildServices, listenerOptions, startListener } from "./_app_services.ts";
import { type InstanceParts, orderedShutdown } from "./_app_lifecycle.ts";

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
  /**
   * Stops: `/readyz` answers 503; new SMTP connections get `421 4.3.2`; idle
   * sessions get it at once, sessions in a transaction after finishing it or
   * after `graceMs`; deliveries in progress finish or, after `graceMs`, are
   * interrupted (confirmed recipients recorded, the rest released). Then the
   * listeners, the control API and the queue close. Idempotent.
   *
   * @param graceMs The grace period. @default {config.shutdownGrace}
   */
  stop(graceMs?: number): Promise<void>;
}

/** The default of `shutdown_grace`: how long transactions and deliveries may take to finish. */
export const DEFAULT_GRACE_MS = 30_000;

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
  options: {
    configPath?: string;
    /** Command-line overrides, applied to each configuration re-read from `configPath`. */
    adjust?: (config: Config) => void;
  } = {},
): Promise<Empath> {
  const now = () => Date.now();
  for (const warning of configWarnings(config)) {
    logger.warn("Configuration: {warning}", { warning });
  }
  // First, before anything opens: a bad key file is a configuration error (ConfigError).
  const dkim = await loadDkimSigner(config, options.configPath);
  // Likewise a hook module that cannot be imported.
  const hooks = new HookRegistry(await loadHooks(config.hooks, options.configPath));
  const { caFile } = config.delivery.mtaSts;
  const mtaStsCaCerts = caFile === undefined
    ? undefined
    : await loadCaFile(caFile, options.configPath);
  const metrics = new EmpathMetrics({
    maxDomains: config.observe.metrics.maxDomains,
    listeners: config.listen.map((listen) => listen.name),
    version: VERSION,
    now,
  });
  const queue = await openQueue(config, metrics).catch(async (error) => {
    await metrics.shutdown();
    throw error;
  });
  const dns = buildResolver(config);
  const events = new MailEvents();
  const audit = await openAudit(config, events).catch(async (error) => {
    await queue.close();
    await metrics.shutdown();
    throw error;
  });
  const mtaSts = buildMtaSts(config, dns, mtaStsCaCerts);
  const afterQueue = new AfterQueueWorker({
    queue,
    hooks: () => hooks.current,
    now,
    settings: () => reloadable.config.hooksSettings,
  });
  const delivery = createDeliveryEngine(config, {
    queue,
    dns,
    clock: { now },
    events,
    metrics: metrics.delivery,
    mtaSts,
    onResults: (message, results) => {
      const set = hooks.current;
      if (!set.has("onDeliveryResult")) return Promise.resolve();
      const input = deliveryResultInput(message, results);
      const wake = () => afterQueue.wake();
      return dispatchAfterQueue({ hooks: set, queue, wake }, "onDeliveryResult", input);
    },
  });
  metrics.watch(events);
  metrics.observe({ queue, queuePath: config.queue.path, delivery, dns });
  const listeners = new Map<string, SmtpListener>();
  const onQueued = announceQueued({ events, delivery, afterQueue, now });
  const reloadable: Reloadable = {
    config,
    listeners,
    delivery,
    dkim,
    hooks,
    audit,
    buildServices: (next) =>
      buildServices(next, { queue, now, onQueued, metrics: metrics.smtp, dkim, hooks, audit }),
    startListener,
    updateListener: (listener, next, listen, services) =>
      listener.update(listenerOptions(next, listen, services).settings, services),
  };
  const lifecycle = { shuttingDown: false };
  let control: ControlServer | undefined;
  try {
    const services = await reloadable.buildServices(config);
    for (const listen of config.listen) {
      listeners.set(listen.address, await startListener(config, listen, services));
    }
    control = await startControlServer(config, {
      current: () => reloadable.config,
      queue,
      delivery,
      dns,
      connections: () => [...listeners.values()].flatMap((listener) => listener.connections()),
      events,
      shuttingDown: () => lifecycle.shuttingDown,
      metrics,
      dkim,
      audit,
      reload: options.configPath === undefined ? undefined : async () => {
        const next = await loadConfig(options.configPath);
        options.adjust?.(next);
        return await applyReload(reloadable, next);
      },
    });
  } catch (error) {
    await Promise.all([...listeners.values()].map((listener) => listener.stop(0)));
    await queue.close();
    await metrics.shutdown();
    await audit?.close();
    mtaSts.fetcher.close();
    throw error;
  }
  if (config.delivery.enabled) delivery.start();
  afterQueue.start();
  return runningInstance({
    queue,
    delivery,
    dns,
    reloadable,
    control,
    lifecycle,
    metrics,
    audit,
    policyFetcher: mtaSts.fetcher,
    afterQueue,
  });
}

/** The {@linkcode Empath} facade over the parts of a started instance. */
function runningInstance(parts: InstanceParts): Empath {
  const { queue, delivery, dns, reloadable, control } = parts;
  const listeners = () => [...reloadable.listeners.values()];
  const { closed, stop } = orderedShutdown(parts);
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
