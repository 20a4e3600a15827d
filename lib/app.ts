/**
 * The composition root: builds every service from a validated {@link Config},
 * starts them, and stops them in order (stop accepting → finish sessions and
 * deliveries, within one grace period → close the listeners, the control API
 * and the queue). It holds no logic of its own.
 *
 * @module
 */
import type { Config } from "./config/mod.ts";
import { configWarnings, loadConfig, parseListenAddress } from "./config/mod.ts";
import { CachingResolver, DenoDnsBackend, parseNameServer } from "./dns/mod.ts";
import { createDeliveryEngine, type DeliveryEngine } from "./delivery/mod.ts";
import { DkimSigner, loadDkimKeys } from "./dkim/mod.ts";
import {
  AfterQueueWorker,
  deliveryResultInput,
  dispatchAfterQueue,
  HookRegistry,
  loadHooks,
} from "./hooks/mod.ts";
import { HttpsPolicyFetcher, loadCaFile, MtaStsPolicies } from "./mta_sts/mod.ts";
import {
  type AuditTrail,
  EmpathMetrics,
  getLogger,
  MailEvents,
  startAudit,
} from "./observe/mod.ts";
import { type ControlServer, startControlServer } from "./control_server.ts";
import { applyReload, type Reloadable, type ReloadResult } from "./reload.ts";
import { openKvQueue, type QueueStore } from "./queue/mod.ts";
import { VERSION } from "./version.ts";
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

/** Streams of the control API (`/v1/events`) never end by themselves: its shutdown is bounded. */
const CONTROL_SHUTDOWN_MS = 2_000;

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
  const onQueued: ConnectionServices["onQueued"] = ({ id, envelope, size }) => {
    const from = envelope.receivedFrom;
    events.publish({
      type: "received",
      id,
      at: now(),
      sender: envelope.reversePath,
      recipients: envelope.recipients,
      size,
      clientIp: from.ip,
      helo: from.helo,
      tls: from.tls !== undefined,
      authUser: from.authUser,
      listener: from.listener,
    });
    delivery.wake();
    if (envelope.tasks !== undefined) afterQueue.wake();
  };
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

/**
 * MTA-STS for delivery: policies discovered through the DNS cache and fetched
 * over HTTPS with `[delivery.mta_sts]`'s trust store and proxy. Built even
 * when disabled, so that a reload can enable it.
 */
function buildMtaSts(config: Config, dns: CachingResolver, caCerts?: readonly string[]) {
  const { proxy, cacheSize } = config.delivery.mtaSts;
  const fetcher = new HttpsPolicyFetcher({ caCerts, proxy });
  const policies = new MtaStsPolicies({ dns, fetcher, clock: { now: () => Date.now() } }, {
    maxEntries: cacheSize,
  });
  return { fetcher, policies, caCerts };
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

async function openQueue(config: Config, metrics: EmpathMetrics): Promise<QueueStore> {
  const started = performance.now();
  const queue = await openKvQueue(config.queue.path, {
    clock: { now: () => Date.now() },
    onCommitted: (durationMs) => metrics.spoolCommitted(durationMs),
  }, { maxAgeMs: config.queue.maxAge });
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

async function loadDkimSigner(config: Config, source?: string): Promise<DkimSigner> {
  const keys = await loadDkimKeys(config.dkim, source);
  for (const key of keys) {
    logger.info("DKIM key {selector}._domainkey.{domain} ({algorithm}) loaded", {
      selector: key.selector,
      domain: key.domain,
      algorithm: key.algorithm,
    });
  }
  return new DkimSigner(keys);
}

/** The audit trail of `[observe.audit]`, following `events`; none when it is disabled. */
async function openAudit(config: Config, events: MailEvents): Promise<AuditTrail | undefined> {
  const { enabled, ...options } = config.observe.audit;
  return enabled ? await startAudit(options, events) : undefined;
}

/** The connection services that stay the same across reloads. */
type SharedServices = Pick<
  ConnectionServices,
  "queue" | "now" | "onQueued" | "metrics" | "dkim" | "hooks"
>;

async function buildServices(
  config: Config,
  shared: SharedServices & { readonly audit?: AuditTrail },
): Promise<ConnectionServices> {
  const { audit, ...common } = shared;
  const tlsContext = config.tls ? await loadTlsContext(config.tls) : undefined;
  return {
    ...common,
    policy: new RelayPolicy(config.policy),
    authenticator: new Authenticator(config.auth.users, {
      onFailure: (failure) =>
        audit?.record({
          event: "AuthFailure",
          source: "smtp",
          client_ip: failure.ip,
          auth_user: failure.username,
          mechanism: failure.mechanism,
        }),
    }),
    tlsContext,
    tracing: config.observe.tracing,
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
      priority: config.priority,
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
  readonly lifecycle: { shuttingDown: boolean };
  readonly metrics: EmpathMetrics;
  readonly audit?: AuditTrail;
  /** The MTA-STS policy fetcher's HTTP client, closed once delivery stopped. */
  readonly policyFetcher: { close(): void };
  /** Runs after-queue hooks; stopped before the queue closes (what is left runs at the next start). */
  readonly afterQueue: AfterQueueWorker;
}

function runningInstance(parts: Parts): Empath {
  const { queue, delivery, dns, reloadable, control, lifecycle, metrics, audit } = parts;
  const listeners = () => [...reloadable.listeners.values()];
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => resolveClosed = resolve);
  let stopping: Promise<void> | undefined;
  const stop = (graceMs = reloadable.config.shutdownGrace) => {
    stopping ??= (async () => {
      lifecycle.shuttingDown = true;
      logger.info(
        "Stopping: {sessions} SMTP sessions and {deliveries} deliveries get up to {ms} ms",
        {
          sessions: listeners().flatMap((l) => l.connections()).length,
          deliveries: delivery.inFlight,
          ms: graceMs,
        },
      );
      // Listening sockets stay bound until the end, answering new connections with 421.
      await Promise.all([
        ...listeners().map((listener) => listener.drain(graceMs)),
        delivery.stop(graceMs),
      ]);
      parts.policyFetcher.close();
      await parts.afterQueue.stop();
      await Promise.all(listeners().map((listener) => listener.close()));
      await settleWithin(control.shutdown(), CONTROL_SHUTDOWN_MS);
      await queue.close();
      await metrics.shutdown();
      await audit?.close();
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

/** Waits for `promise`, but no longer than `ms`. */
async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    promise.catch((error) => logger.warn("Shutdown step failed: {error}", { error })),
    new Promise((resolve) => timer = setTimeout(resolve, ms)),
  ]);
  clearTimeout(timer);
}
