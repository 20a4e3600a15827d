import type { Config, DomainPolicy } from "../config/mod.ts";
import type { DnsResolver } from "../dns/mod.ts";
import type { CachedPolicy } from "../mta_sts/mod.ts";
import { type DeliveryMetrics, getLogger, type MailEvents } from "../observe/mod.ts";
import type { QueuedMessage, QueueStore } from "../queue/mod.ts";
import { type AttemptPolicy, MessageAttempt } from "./attempt.ts";
import { BounceSender } from "./bounce.ts";
import { CircuitBreakers } from "./circuit_breaker.ts";
import { ConnectionPool, type ConnectionPoolOptions, type PoolStats } from "./connection_pool.ts";
import { DestinationSender } from "./destination_sender.ts";
import { HostLimiter, type HostSnapshot } from "./host_limiter.ts";
import { RateLimiter } from "./rate_limiter.ts";
import { RouteResolver } from "./route.ts";
import { type MtaStsPolicySource, mtaStsReporter, stsTrustStore } from "./mta_sts.ts";
import { recordingMtaStsReporter, type TlsSessionSink } from "./tls_rpt_session.ts";
import { Scheduler } from "./scheduler.ts";
import type { SmtpClientConnection } from "./smtp_client.ts";

export type { RecipientResult } from "./attempt.ts";

const logger = getLogger(["empath", "delivery"]);

/** How long interrupted deliveries get to record their results before the queue closes. */
const INTERRUPT_SETTLE_MS = 5_000;

/** The effects a delivery engine uses, injected by the composition root. */
export interface DeliveryDeps {
  readonly queue: QueueStore;
  readonly dns: DnsResolver;
  readonly clock: { now(): number };
  readonly random?: () => number;
  /** Where delivery events (attempt, delivered, deferred, bounced, dsn) are published. */
  readonly events?: MailEvents;
  /** Where retries, delivery latency, rate limiting and bounces are counted. */
  readonly metrics?: DeliveryMetrics;
  /** Extra CA certificates for outbound TLS verification (tests, private PKI). */
  readonly caCerts?: readonly string[];
  /**
   * Connection reuse settings (idle timeout, messages per connection, idle
   * limits); `{ reuse: false }` opens a connection per message. @default {{}}
   */
  readonly connectionPool?: ConnectionPoolOptions;
  /**
   * MTA-STS policies (RFC 8461), applied to MX deliveries while
   * `[delivery.mta_sts] enabled` is true; absent: never applied.
   */
  readonly mtaSts?: {
    /** The policy cache (an `MtaStsPolicies` fits). */
    readonly policies: MtaStsPolicySource & { entries(): CachedPolicy[] };
    /** PEM CAs trusted besides the default roots for MX certificates under a policy. */
    readonly caCerts?: readonly string[];
  };
  /** Told each attempt's per-recipient results (the `onDeliveryResult` hooks). */
  readonly onResults?: AttemptPolicy["onResults"];
  /** Where each new MX connection's TLS outcome is recorded (SMTP TLS Reporting, RFC 8460). */
  readonly tlsSessions?: TlsSessionSink;
}

/** A running delivery engine. */
export interface DeliveryEngine {
  /** Starts scheduling. */
  start(): void;
  /** New mail or an operator request: look at the queue now. */
  wake(): void;
  /**
   * Stops taking messages and waits up to `graceMs` for those in delivery.
   * Deliveries still running then are interrupted: recipients the receiving
   * server confirmed are recorded, the others are released (due again at
   * once, at the next start), so nothing confirmed is sent twice and nothing
   * is lost. @default {10000}
   */
  stop(graceMs?: number): Promise<void>;
  /** Rate limiter state, for metrics and the control API. */
  readonly limiter: RateLimiter;
  /** Circuit breaker state, for metrics and the control API. */
  readonly breakers: CircuitBreakers;
  /** Messages being delivered now. */
  readonly inFlight: number;
  /**
   * Applies a reloaded configuration: routes, per-domain policies (TLS, rate
   * limits), the default rate, whether MTA-STS applies and `[queue] delay_warning`. Concurrency,
   * timeouts, breaker settings, lease time and the other MTA-STS settings keep
   * their start-up values until a restart.
   */
  reconfigure(config: Config): void;
  /** Connection reuse counters (hits, misses, idle connections), for metrics. */
  poolStats(): PoolStats;
  /** Per-host connection windows (slow start), for metrics and the control API. */
  hosts(): HostSnapshot[];
  /** The cached MTA-STS policies that have not expired, for the control API. */
  mtaStsPolicies(): CachedPolicy[];
  /**
   * Bounces the recipients of `message` not yet delivered or failed to its
   * sender, with `reason` (an operator deletes the message).
   *
   * @returns Whether a bounce was queued (not for a null or daemon sender, nor
   *   when every recipient is already done).
   */
  bounceUndelivered(message: QueuedMessage, reason: string): Promise<boolean>;
}

/**
 * Builds the delivery pipeline from the configuration: scheduler → per-message
 * attempt (breaker, rate limit, route, send) → record, bounce or delete.
 *
 * @example
 * ```ts ignore
 * const engine = createDeliveryEngine(config, { queue, dns, clock: { now: Date.now } });
 * engine.start();
 * ```
 */
export function createDeliveryEngine(config: Config, deps: DeliveryDeps): DeliveryEngine {
  const now = () => deps.clock.now();
  const settings = { current: config };
  const { delivery } = config;
  const traffic = createTraffic(config, deps.clock);
  const pool = new ConnectionPool<SmtpClientConnection>(deps.connectionPool);
  const hosts = hostLimiters();
  const reportMtaSts = recordingMtaStsReporter(mtaStsReporter(deps.metrics), deps.tlsSessions);
  const routes = new RouteResolver(
    deps.dns,
    routeOptions(config),
    deps.mtaSts && { policies: deps.mtaSts.policies, report: reportMtaSts },
  );
  // Aborted when a stop's grace period runs out: cuts connections and waits.
  const interruption = new AbortController();
  // Bounces wake the scheduler, which is built after the attempt it runs.
  const wakeUp = { now: () => {} };
  const bounces = createBounceSender(config, deps, () => wakeUp.now());
  const sender = new DestinationSender(deps.queue, {
    heloName: delivery.heloName ?? config.hostname,
    hostname: config.hostname,
    policyFor: (domain) => policyFor(settings.current, domain),
    timeouts: delivery.timeouts,
    caCerts: deps.caCerts,
    mtaStsCaCerts: stsTrustStore(deps.mtaSts?.caCerts),
    reportMtaSts,
    tlsSessions: deps.tlsSessions,
    signal: interruption.signal,
  }, { pool, hostLimiter: hosts.limiterFor });
  const attempt = new MessageAttempt(
    { queue: deps.queue, routes, sender, traffic, bounces },
    attemptPolicy(settings, deps, interruption.signal),
  );
  const running = new Scheduler(deps.queue, (message) => attempt.run(message), {
    concurrency: delivery.concurrency,
    leaseMs: delivery.leaseTime,
    owner: crypto.randomUUID(),
  }, now);
  wakeUp.now = () => running.wake();
  return engineFacade(
    { settings, running, interruption, pool, hosts, routes, traffic, bounces },
    deps,
  );
}

/**
 * What every attempt takes besides its collaborators. The retry schedule, tracing options and
 * `[queue] delay_warning` are read from `settings` at each attempt, so a reload applies to them.
 */
function attemptPolicy(
  settings: { readonly current: Config },
  deps: DeliveryDeps,
  interrupted: AbortSignal,
): AttemptPolicy {
  return {
    get retrySchedule() {
      return settings.current.queue.retry;
    },
    now: () => deps.clock.now(),
    random: deps.random ?? Math.random,
    events: deps.events,
    metrics: deps.metrics,
    interrupted,
    tracing: () => settings.current.observe.tracing,
    onResults: deps.onResults,
    delayWarning: () => settings.current.queue.delayWarning,
  };
}

/** The running parts of a delivery engine, as {@linkcode engineFacade} drives them. */
interface EngineParts {
  /** The configuration in force, replaced by `reconfigure()`. */
  readonly settings: { current: Config };
  readonly running: Scheduler;
  /** Aborted when a stop's grace period runs out. */
  readonly interruption: AbortController;
  readonly pool: ConnectionPool<SmtpClientConnection>;
  readonly hosts: ReturnType<typeof hostLimiters>;
  readonly routes: RouteResolver;
  readonly traffic: { readonly limiter: RateLimiter; readonly breakers: CircuitBreakers };
  readonly bounces: BounceSender;
}

/** The {@linkcode DeliveryEngine} over its built parts. */
function engineFacade(parts: EngineParts, deps: DeliveryDeps): DeliveryEngine {
  const { settings, running, pool, hosts, routes, traffic, bounces } = parts;
  return {
    start: () => running.start(),
    wake: () => running.wake(),
    stop: (graceMs = 10_000) => stopDelivery(parts, graceMs),
    limiter: traffic.limiter,
    breakers: traffic.breakers,
    get inFlight() {
      return running.inFlight;
    },
    reconfigure(next: Config) {
      const before = settings.current;
      settings.current = next;
      routes.update(routeOptions(next));
      updateRates(traffic.limiter, before, next);
      running.wake();
    },
    poolStats: () => pool.stats(),
    hosts: () => hosts.snapshot(),
    mtaStsPolicies: () => deps.mtaSts?.policies.entries() ?? [],
    bounceUndelivered: (message, reason) => bounces.bounceUndelivered(message, reason),
  };
}

/**
 * Stops taking messages, waits up to `graceMs` for those in delivery, then interrupts the rest
 * and gives them a moment to record their results; closes the pooled connections.
 */
async function stopDelivery(
  { running, interruption, pool }: EngineParts,
  graceMs: number,
): Promise<void> {
  if (!await running.stop(graceMs)) {
    logger.info("Interrupting {count} deliveries still running after {ms} ms", {
      count: running.inFlight,
      ms: graceMs,
    });
    interruption.abort();
    if (!await running.settled(INTERRUPT_SETTLE_MS)) {
      logger.warn("Stopping with {count} deliveries still running; their leases will expire", {
        count: running.inFlight,
      });
    }
  }
  await pool.close();
}

/** The per-domain rate limiter and the per-host circuit breakers. */
function createTraffic(config: Config, clock: { now(): number }) {
  const { defaults, circuitBreaker } = config.delivery;
  const limiter = new RateLimiter({
    clock,
    defaults: { ratePerSecond: defaults.rate, burst: defaults.burst },
    overrides: rateOverrides(config),
  });
  const breakers = new CircuitBreakers({
    clock,
    threshold: circuitBreaker.threshold,
    windowMs: circuitBreaker.window,
    openMs: circuitBreaker.openFor,
  });
  return { limiter, breakers };
}

/** One host limiter window per host and per `max_connections_per_host` value in use. */
function hostLimiters() {
  const byMax = new Map<number, HostLimiter>();
  return {
    limiterFor: (max: number): HostLimiter => {
      let limiter = byMax.get(max);
      if (limiter === undefined) byMax.set(max, limiter = new HostLimiter({ max }));
      return limiter;
    },
    snapshot: (): HostSnapshot[] => [...byMax.values()].flatMap((limiter) => limiter.snapshot()),
  };
}

/** A bounce sender that counts, publishes and schedules every bounce it queues. */
function createBounceSender(config: Config, deps: DeliveryDeps, wake: () => void): BounceSender {
  const now = () => deps.clock.now();
  return new BounceSender(deps.queue, {
    hostname: config.hostname,
    now,
    onQueued: (bounce) => {
      deps.metrics?.bounceQueued(bounce.action);
      deps.events?.publish({
        type: "dsn",
        id: bounce.original,
        at: now(),
        detail: bounce.action,
        bounceId: bounce.id,
        sender: bounce.sender,
        recipients: bounce.recipients,
      });
      wake();
    },
  });
}

/** What the route resolver takes from a configuration. */
function routeOptions(config: Config) {
  return {
    routes: config.routes,
    allowPrivateDestinations: config.delivery.allowPrivateDestinations,
    mxPort: config.delivery.port,
    mtaSts: config.delivery.mtaSts.enabled,
  };
}

/** Moves the rate limiter from the rates of `before` to those of `next`. */
function updateRates(limiter: RateLimiter, before: Config, next: Config): void {
  limiter.setDefaults({
    ratePerSecond: next.delivery.defaults.rate,
    burst: next.delivery.defaults.burst,
  });
  const previous = rateOverrides(before);
  const after = rateOverrides(next);
  for (const domain of Object.keys(previous)) {
    if (!(domain in after)) limiter.setLimit(domain, undefined);
  }
  for (const [domain, limit] of Object.entries(after)) limiter.setLimit(domain, limit);
}

/** The delivery policy of `domain`: defaults merged with its overrides. */
export function policyFor(config: Config, domain: string): DomainPolicy {
  return { ...config.delivery.defaults, ...config.delivery.domains[domain.toLowerCase()] };
}

function rateOverrides(config: Config) {
  const overrides: Record<string, { ratePerSecond: number; burst: number }> = {};
  for (const domain of Object.keys(config.delivery.domains)) {
    const policy = policyFor(config, domain);
    overrides[domain] = { ratePerSecond: policy.rate, burst: policy.burst };
  }
  return overrides;
}
