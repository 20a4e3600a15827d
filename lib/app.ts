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
import { AfterQueueWorker, deliveryResultInput, dispatchAfterQueue } from "./hooks/mod.ts";
import { getLogger } from "./observe/mod.ts";
import { type ControlServer, type ControlServices, startControlServer } from "./control_server.ts";
import { applyReload, type Reloadable, type ReloadResult } from "./reload.ts";
import type { QueueStore } from "./queue/mod.ts";
import type { ConnectionSnapshot, SmtpListener } from "./server/mod.ts";
import {
  buildMtaSts,
  loadStartupFiles,
  openStores,
  type StartupFiles,
  type Stores,
} from "./_app_parts.ts";
import { announceQueued, buildServices, listenerOptions, startListener } from "./_app_services.ts";
import { type InstanceParts, orderedShutdown } from "./_app_lifecycle.ts";
import { buildTlsRpt } from "./_app_tls_rpt.ts";
import type { TlsReporting } from "./tls_rpt/mod.ts";

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

/** Options of {@linkcode startEmpath}. */
export interface StartOptions {
  /** The file the configuration came from: named in configuration errors, re-read by a reload. */
  configPath?: string;
  /** Command-line overrides, applied to each configuration re-read from `configPath`. */
  adjust?: (config: Config) => void;
}

/**
 * Starts Empath from a configuration, in phases: read the files (before anything opens, so that
 * a bad one is a configuration error), open the stores, build the services over them, then start
 * the SMTP listeners and the control API. When opening a store or starting a listener or the
 * control API fails, what was opened before is closed before the error is rethrown.
 *
 * @example
 * ```ts ignore
 * const empath = await startEmpath(defaultConfig());
 * await empath.stop();
 * ```
 */
export async function startEmpath(config: Config, options: StartOptions = {}): Promise<Empath> {
  for (const warning of configWarnings(config)) {
    logger.warn("Configuration: {warning}", { warning });
  }
  const files = await loadStartupFiles(config, options.configPath);
  const now = () => Date.now();
  const opened: OpenParts = { ...files, ...await openStores(config, now), now };
  const parts = { ...opened, ...wireServices(config, opened) };
  const control = await startServing(config, parts, options);
  if (config.delivery.enabled) parts.delivery.start();
  parts.afterQueue.start();
  parts.tlsRpt.start();
  return runningInstance({
    queue: parts.queue,
    delivery: parts.delivery,
    dns: parts.dns,
    reloadable: parts.reloadable,
    control,
    lifecycle: parts.lifecycle,
    metrics: parts.metrics,
    audit: parts.audit,
    policyFetcher: parts.mtaSts.fetcher,
    afterQueue: parts.afterQueue,
    tlsRpt: parts.tlsRpt,
  });
}

/** What start has read and opened, with the clock every service shares. */
type OpenParts = StartupFiles & Stores & { readonly now: () => number };

/** {@linkcode OpenParts} with the services built over them. */
type WiredParts = OpenParts & ReturnType<typeof wireServices>;

/**
 * Builds the services over the open parts: MTA-STS, the after-queue worker, the delivery engine
 * (followed by the metrics) and what a reload acts on. Nothing is started yet.
 */
function wireServices(config: Config, parts: OpenParts) {
  const { queue, dns, events, metrics, dkim, hooks, audit, now } = parts;
  // Report emails wake delivery, which is built below; none is queued before the start.
  const tlsRpt = buildTlsRpt(config, { ...parts, wake: () => delivery.wake() });
  const mtaSts = buildMtaSts(config, dns, parts.mtaStsCaCerts, tlsRpt.observeFetcher);
  const afterQueue = new AfterQueueWorker({
    queue,
    hooks: () => hooks.current,
    now,
    settings: () => reloadable.config.hooksSettings,
  });
  const delivery = createDelivery(config, { ...parts, mtaSts, afterQueue, tlsRpt });
  metrics.watch(events);
  metrics.observe({ queue, queuePath: config.queue.path, delivery, dns });
  const onQueued = announceQueued({ events, delivery, afterQueue, now });
  const reloadable: Reloadable = {
    config,
    listeners: new Map<string, SmtpListener>(),
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
  return { mtaSts, afterQueue, delivery, reloadable, tlsRpt, lifecycle: { shuttingDown: false } };
}

/** The delivery engine; `onDeliveryResult` hooks run on the after-queue path. */
function createDelivery(
  config: Config,
  parts: OpenParts & {
    mtaSts: ReturnType<typeof buildMtaSts>;
    afterQueue: AfterQueueWorker;
    tlsRpt: TlsReporting;
  },
): DeliveryEngine {
  const { queue, hooks, afterQueue } = parts;
  return createDeliveryEngine(config, {
    queue,
    dns: parts.dns,
    clock: { now: parts.now },
    events: parts.events,
    metrics: parts.metrics.delivery,
    mtaSts: parts.mtaSts,
    tlsSessions: parts.tlsRpt.sessions,
    onResults: (message, results) => {
      const set = hooks.current;
      if (!set.has("onDeliveryResult")) return Promise.resolve();
      const input = deliveryResultInput(message, results);
      const wake = () => afterQueue.wake();
      return dispatchAfterQueue({ hooks: set, queue, wake }, "onDeliveryResult", input);
    },
  });
}

/**
 * Starts the SMTP listeners, then the control API. On failure it stops the listeners already
 * started and TLS reporting, closes the queue, the metrics, the audit trail and the MTA-STS
 * fetcher, in that order, and rethrows.
 */
async function startServing(
  config: Config,
  parts: WiredParts,
  options: StartOptions,
): Promise<ControlServer> {
  const { listeners } = parts.reloadable;
  try {
    const services = await parts.reloadable.buildServices(config);
    for (const listen of config.listen) {
      listeners.set(listen.address, await startListener(config, listen, services));
    }
    return await startControlServer(config, controlServices(parts, options));
  } catch (error) {
    await Promise.all([...listeners.values()].map((listener) => listener.stop(0)));
    await parts.tlsRpt.stop();
    await parts.queue.close();
    await parts.metrics.shutdown();
    await parts.audit?.close();
    parts.mtaSts.fetcher.close();
    throw error;
  }
}

/** What the control API acts through; it can reload only a configuration read from a file. */
function controlServices(
  parts: WiredParts,
  options: StartOptions,
): ControlServices & { current: () => Config } {
  const { reloadable, lifecycle } = parts;
  return {
    current: () => reloadable.config,
    queue: parts.queue,
    delivery: parts.delivery,
    dns: parts.dns,
    connections: () =>
      [...reloadable.listeners.values()].flatMap((listener) => listener.connections()),
    events: parts.events,
    shuttingDown: () => lifecycle.shuttingDown,
    metrics: parts.metrics,
    dkim: parts.dkim,
    audit: parts.audit,
    tlsRpt: parts.tlsRpt,
    reload: options.configPath === undefined ? undefined : async () => {
      const next = await loadConfig(options.configPath);
      options.adjust?.(next);
      return await applyReload(reloadable, next);
    },
  };
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
