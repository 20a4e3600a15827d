// Gauges and counters read from the running services at scrape time: queue
// aggregates (cached, since they scan the queue), delivery, connection pool,
// circuit breakers and the DNS cache.
import { statfs } from "node:fs/promises";
import { dirname } from "node:path";
import type { Meter } from "@opentelemetry/api";
import type { MetricSources, QueueStatsSource } from "./metric_ports.ts";

type QueueStats = Awaited<ReturnType<QueueStatsSource["stats"]>>;

/** Message states always reported, so an empty queue shows 0 rather than nothing. */
const EMPTY_QUEUE_STATES: Readonly<Record<string, number>> = { queued: 0, held: 0 };

/** Breaker states always reported, so a state with no breakers shows 0. */
const BREAKER_STATES = ["closed", "open", "half-open"];

/**
 * Shares one `stats()` scan among the scrapes of `ttlMs`; a scan in progress
 * is shared too. A failed scan is not kept.
 */
export class CachedQueueStats {
  readonly #source: QueueStatsSource;
  readonly #ttlMs: number;
  readonly #now: () => number;
  #cached: { at: number; stats: Promise<QueueStats> } | undefined;

  constructor(source: QueueStatsSource, options: { ttlMs: number; now: () => number }) {
    this.#source = source;
    this.#ttlMs = options.ttlMs;
    this.#now = options.now;
  }

  /** The last aggregates, scanning again when they are older than the time to live. */
  get(): Promise<QueueStats> {
    const now = this.#now();
    if (this.#cached !== undefined && now - this.#cached.at < this.#ttlMs) {
      return this.#cached.stats;
    }
    const cached = { at: now, stats: this.#source.stats() };
    this.#cached = cached;
    cached.stats.catch(() => {
      if (this.#cached === cached) this.#cached = undefined;
    });
    return cached.stats;
  }
}

/** Registers the instruments read from `sources` on `meter`. */
export function observeServices(
  meter: Meter,
  sources: MetricSources,
  options: { queueStatsTtlMs: number; now: () => number },
): void {
  observeQueue(meter, sources, options);
  observeDelivery(meter, sources.delivery);
  observeDns(meter, sources.dns);
}

function observeQueue(
  meter: Meter,
  sources: MetricSources,
  options: { queueStatsTtlMs: number; now: () => number },
): void {
  const cache = new CachedQueueStats(sources.queue, {
    ttlMs: options.queueStatsTtlMs,
    now: options.now,
  });
  const messages = meter.createObservableGauge("empath_queue_messages", {
    description: "Messages in the queue, by state (refreshed at most every queue stats interval)",
  });
  const bytes = meter.createObservableGauge("empath_queue_size_bytes", {
    description: "Body bytes of the messages in the queue",
  });
  const oldest = meter.createObservableGauge("empath_queue_oldest_message_age_seconds", {
    description: "Age of the oldest message in the queue; 0 when it is empty",
  });
  meter.addBatchObservableCallback(async (result) => {
    const stats = await cache.get();
    const byState = { ...EMPTY_QUEUE_STATES, ...stats.byState };
    for (const [state, count] of Object.entries(byState)) {
      result.observe(messages, count, { state });
    }
    result.observe(bytes, stats.bytes);
    const age = stats.oldestCreatedAt === undefined ? 0 : options.now() - stats.oldestCreatedAt;
    result.observe(oldest, Math.max(0, age) / 1000);
  }, [messages, bytes, oldest]);
  const path = sources.queuePath;
  if (path === undefined || path === ":memory:") return;
  const avail = meter.createObservableGauge("empath_queue_filesystem_avail_bytes", {
    description: "Bytes available to Empath on the file system of the queue",
  });
  const size = meter.createObservableGauge("empath_queue_filesystem_size_bytes", {
    description: "Size of the file system of the queue, in bytes",
  });
  meter.addBatchObservableCallback(async (result) => {
    const fs = await statfs(dirname(path));
    result.observe(avail, fs.bavail * fs.bsize);
    result.observe(size, fs.blocks * fs.bsize);
  }, [avail, size]);
}

function observeDelivery(meter: Meter, delivery: MetricSources["delivery"]): void {
  meter.createObservableGauge("empath_delivery_in_flight", {
    description: "Messages being delivered now",
  }).addCallback((result) => result.observe(delivery.inFlight));
  const breakers = meter.createObservableGauge("empath_delivery_circuit_breakers", {
    description: "Circuit breakers in memory, by state",
  });
  const trips = meter.createObservableCounter("empath_delivery_circuit_breaker_trips_total", {
    description: "Times a circuit breaker opened",
  });
  const recoveries = meter.createObservableCounter(
    "empath_delivery_circuit_breaker_recoveries_total",
    { description: "Times a circuit breaker closed after a successful probe" },
  );
  meter.addBatchObservableCallback((result) => {
    const counts = new Map(BREAKER_STATES.map((state) => [state, 0]));
    for (const { state } of delivery.breakers.states()) {
      counts.set(state, (counts.get(state) ?? 0) + 1);
    }
    for (const [state, count] of counts) result.observe(breakers, count, { state });
    const counters = delivery.breakers.counters();
    result.observe(trips, counters.trips);
    result.observe(recoveries, counters.recoveries);
  }, [breakers, trips, recoveries]);
  observeCounters(meter, () => delivery.poolStats(), {
    hits: ["empath_delivery_pool_hits_total", "Deliveries that reused a pooled connection"],
    misses: ["empath_delivery_pool_misses_total", "Deliveries that found no pooled connection"],
  });
  meter.createObservableGauge("empath_delivery_pool_idle_connections", {
    description: "Idle connections kept for reuse",
  }).addCallback((result) => result.observe(delivery.poolStats().size));
}

function observeDns(meter: Meter, dns: MetricSources["dns"]): void {
  observeCounters(meter, () => dns.stats(), {
    hits: ["empath_dns_cache_hits_total", "DNS questions answered from the cache"],
    misses: ["empath_dns_cache_misses_total", "DNS questions sent to the name server"],
    errors: ["empath_dns_lookup_errors_total", "DNS lookups that failed temporarily"],
  });
  meter.createObservableGauge("empath_dns_cache_entries", {
    description: "Answers in the DNS cache",
  }).addCallback((result) => result.observe(dns.stats().entries));
}

/** Observable counters over the cumulative fields of one stats object. */
function observeCounters<K extends string>(
  meter: Meter,
  read: () => Readonly<Record<NoInfer<K>, number>>,
  names: Record<K, [name: string, description: string]>,
): void {
  const entries = (Object.entries(names) as [K, [string, string]][]).map((
    [field, [name, description]],
  ) => [field, meter.createObservableCounter(name, { description })] as const);
  meter.addBatchObservableCallback((result) => {
    const stats = read();
    for (const [field, counter] of entries) result.observe(counter, stats[field]);
  }, entries.map(([, counter]) => counter));
}
