/**
 * The stop of a running instance, in order: stop accepting, finish sessions and deliveries
 * within one grace period, then close the listeners, the control API and the queue. Private to
 * lib/app.ts.
 *
 * @module
 */
import type { DeliveryEngine } from "./delivery/mod.ts";
import type { CachingResolver } from "./dns/mod.ts";
import type { AfterQueueWorker } from "./hooks/mod.ts";
import { type AuditTrail, type EmpathMetrics, getLogger } from "./observe/mod.ts";
import type { QueueStore } from "./queue/mod.ts";
import type { ControlServer } from "./control_server.ts";
import type { Reloadable } from "./reload.ts";

const logger = getLogger(["empath", "app"]);

/** Streams of the control API (`/v1/events`) never end by themselves: its shutdown is bounded. */
const CONTROL_SHUTDOWN_MS = 2_000;

/** The parts of a running instance. */
export interface InstanceParts {
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
  /** TLS reporting: its schedule and recording writes end before the queue closes. */
  readonly tlsRpt?: { stop(): Promise<void> };
}

/** How a running instance stops, and when it has. */
export interface Shutdown {
  /** Resolves once the instance has stopped. */
  readonly closed: Promise<void>;
  /** Stops in order (see the module doc); idempotent. `graceMs` defaults to `shutdown_grace`. */
  stop(graceMs?: number): Promise<void>;
}

/** The ordered, idempotent stop of the instance made of `parts`. */
export function orderedShutdown(parts: InstanceParts): Shutdown {
  const { delivery, reloadable, control, lifecycle, metrics, audit } = parts;
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
      await parts.tlsRpt?.stop();
      await Promise.all(listeners().map((listener) => listener.close()));
      await settleWithin(control.shutdown(), CONTROL_SHUTDOWN_MS);
      await parts.queue.close();
      await metrics.shutdown();
      await audit?.close();
      logger.info("Stopped");
      resolveClosed();
    })();
    return stopping;
  };
  return { closed, stop };
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
