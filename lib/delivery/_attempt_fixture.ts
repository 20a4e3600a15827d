/**
 * Test support: a {@linkcode MessageAttempt} wired as the engine wires it, over a static SMTP
 * route to one loopback port, with a fake DNS, a manual clock and the real sender, pool and
 * bounce path. For the attempt tests; not exported from `mod.ts`.
 *
 * @module
 */
import type { DomainPolicy } from "../config/mod.ts";
import { CachingResolver } from "../dns/mod.ts";
import { FakeDnsBackend } from "../dns/testing.ts";
import type { QueuedMessage, QueueStore } from "../queue/mod.ts";
import type { ManualClock } from "../queue/testing.ts";
import { MessageAttempt } from "./attempt.ts";
import { BounceSender, type QueuedBounce } from "./bounce.ts";
import { CircuitBreakers } from "./circuit_breaker.ts";
import { ConnectionPool } from "./connection_pool.ts";
import { DestinationSender } from "./destination_sender.ts";
import { HostLimiter } from "./host_limiter.ts";
import { RateLimiter } from "./rate_limiter.ts";
import { RouteResolver } from "./route.ts";
import type { SmtpClientConnection } from "./smtp_client.ts";

const POLICY: DomainPolicy = {
  rate: 100,
  burst: 100,
  tls: "disabled",
  verifyCertificates: false,
  maxConnectionsPerHost: 10,
};

/** What {@linkcode routedAttempt} builds. */
export interface AttemptFixtureOptions {
  /** The recipient domains routed to `port`. */
  readonly domains: readonly string[];
  /** The loopback port of the next hop. */
  readonly port: number;
  /** The retry schedule in milliseconds. */
  readonly retrySchedule: readonly number[];
  /** The rate limiter; default: 100/s, burst 100. */
  readonly limiter?: RateLimiter;
  /** `[queue] delay_warning` in milliseconds. @default {0} */
  readonly delayWarningMs?: number;
  /** Interrupts the attempt (a shutdown). */
  readonly interrupted?: AbortSignal;
}

/** A wired attempt: `run()` leases the message, runs one attempt and returns the record after. */
export interface AttemptFixture extends AsyncDisposable {
  /** Leases message `id` and starts one attempt (not awaited). */
  start(id: string): Promise<void>;
  /** Leases message `id`, runs one attempt and returns the stored record after it. */
  run(id: string): Promise<QueuedMessage>;
  /** The notifications (bounces, delay warnings) queued so far. */
  readonly queued: QueuedBounce[];
  /** The connection pool, closed on dispose. */
  readonly pool: ConnectionPool<SmtpClientConnection>;
}

/**
 * Wires a {@linkcode MessageAttempt} as the engine does, routing `domains` to `port`.
 *
 * @param queue The queue the message is in.
 * @param clock The clock of the queue and the attempt.
 * @param options Routes, schedule and policy.
 * @returns The fixture; dispose it to close its pool.
 */
export function routedAttempt(
  queue: QueueStore,
  clock: ManualClock,
  options: AttemptFixtureOptions,
): AttemptFixture {
  const pool = new ConnectionPool<SmtpClientConnection>({ reuse: false });
  const { routes, sender } = routedSender(queue, clock, { ...options, pool });
  const queued: QueuedBounce[] = [];
  const bounces = new BounceSender(queue, {
    hostname: "mx.empath.test",
    now: () => clock.now(),
    onQueued: (bounce) => queued.push(bounce),
  });
  const limiter = options.limiter ??
    new RateLimiter({ clock, defaults: { ratePerSecond: 100, burst: 100 } });
  const breakers = new CircuitBreakers({ clock, threshold: 1000 });
  const attempt = new MessageAttempt({
    queue,
    routes,
    sender,
    traffic: { limiter, breakers },
    bounces,
  }, {
    retrySchedule: options.retrySchedule,
    now: () => clock.now(),
    random: () => 0.5,
    interrupted: options.interrupted,
    delayWarning: () => options.delayWarningMs ?? 0,
  });
  const start = async (id: string) => {
    const message = (await queue.get(id))!;
    const leased = { ...message, lease: { owner: "test", until: clock.now() + 600_000 } };
    if (!await queue.update(leased)) throw new Error(`Cannot lease message ${id}`);
    await attempt.run({ ...leased, revision: message.revision + 1 });
  };
  return {
    start,
    run: async (id) => {
      await start(id);
      return (await queue.get(id))!;
    },
    queued,
    pool,
    [Symbol.asyncDispose]: () => pool.close(),
  };
}

/** The route resolver and sender of {@linkcode routedAttempt}: `domains` go to `port`. */
function routedSender(
  queue: QueueStore,
  clock: ManualClock,
  options: AttemptFixtureOptions & { readonly pool: ConnectionPool<SmtpClientConnection> },
) {
  const { pool } = options;
  const hosts = new HostLimiter({ max: 10 });
  const routes = new RouteResolver(new CachingResolver(new FakeDnsBackend(), { clock }), {
    routes: [{
      domains: [...options.domains],
      kind: "smtp",
      to: `127.0.0.1:${options.port}`,
      tls: "disabled",
      verifyCertificates: false,
    }],
    allowPrivateDestinations: false,
  });
  const sender = new DestinationSender(queue, {
    heloName: "mx.empath.test",
    hostname: "mx.empath.test",
    policyFor: () => POLICY,
    timeouts: {},
    signal: options.interrupted,
  }, { pool, hostLimiter: () => hosts });
  return { routes, sender };
}
