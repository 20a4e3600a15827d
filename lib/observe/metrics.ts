/**
 * Empath's metrics: OpenTelemetry instruments on a MeterProvider of Empath's
 * own, read by a Prometheus exporter that starts no server of its own; the
 * control API serves {@linkcode EmpathMetrics.scrape} at `GET /metrics`.
 *
 * @module
 */
import type { Counter, Histogram } from "@opentelemetry/api";
import { DeliveryInstruments } from "./_delivery_instruments.ts";
import { PrometheusRegistry } from "./_prometheus.ts";
import { observeRuntime } from "./_runtime_instruments.ts";
import { observeServices } from "./_service_gauges.ts";
import { SmtpInstruments } from "./_smtp_instruments.ts";
import { TlsRptInstruments } from "./_tls_rpt_instruments.ts";
import { DEFAULT_MAX_DOMAINS, DomainLabels } from "./domain_labels.ts";
import type { MailEvents } from "./events.ts";
import { getLogger } from "./logging.ts";
import type {
  ControlAuthMetrics,
  DeliveryMetrics,
  MetricSources,
  SmtpMetrics,
  TlsRptMetrics,
} from "./metric_ports.ts";

const logger = getLogger(["empath", "observe"]);

/** The `Content-Type` of {@linkcode EmpathMetrics.scrape}'s text. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Bucket bounds of the spool commit histogram, in seconds. */
const COMMIT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** Options of {@linkcode EmpathMetrics}. */
export interface MetricsOptions {
  /** Most distinct `domain` label values; later domains are labelled `"other"`. @default {100} */
  readonly maxDomains?: number;
  /** Listener names whose SMTP series start at 0; others appear when first used. @default {[]} */
  readonly listeners?: readonly string[];
  /** Empath's version, the `version` label of `empath_build_info`. @default {"unknown"} */
  readonly version?: string;
  /** The current time in milliseconds (queue age). @default {Date.now} */
  readonly now?: () => number;
  /** How often event-loop lag is sampled, in milliseconds; 0 turns the sampler off. @default {1000} */
  readonly lagIntervalMs?: number;
  /** How long one queue statistics scan serves scrapes, in milliseconds. @default {15000} */
  readonly queueStatsTtlMs?: number;
}

/**
 * Every Empath metric. The areas report through its ports (`smtp`, `tlsRpt`,
 * `delivery`, {@linkcode spoolCommitted}, {@linkcode authFailed}); delivery
 * results come from the `MailEvents` bus ({@linkcode watch}); gauges of the
 * queue, connection pool, breakers and DNS cache are read at scrape time
 * ({@linkcode observe}). Close it to stop the event-loop sampler.
 *
 * @example Usage
 * ```ts
 * import { EmpathMetrics } from "./metrics.ts";
 * import assert from "node:assert/strict";
 *
 * await using metrics = new EmpathMetrics({ version: "1.0.0", lagIntervalMs: 0 });
 * metrics.smtp.connectionOpened("smtp");
 * const text = await metrics.scrape();
 * assert.match(text, /^empath_smtp_connections_total\{listener="smtp"\} 1$/m);
 * ```
 */
export class EmpathMetrics implements ControlAuthMetrics, AsyncDisposable {
  /** The SMTP server's port. */
  readonly smtp: SmtpMetrics;
  /** SMTP TLS Reporting's port. */
  readonly tlsRpt: TlsRptMetrics;
  readonly #delivery: DeliveryInstruments;
  readonly #registry = new PrometheusRegistry();
  readonly #spoolCommit: Histogram;
  readonly #authFailures: Counter;
  readonly #options: Required<Pick<MetricsOptions, "now" | "queueStatsTtlMs">>;
  readonly #stops: (() => void)[] = [];

  /**
   * Creates the instruments and starts the event-loop sampler.
   *
   * @param options Domain cap, version, clock and sampling intervals.
   * @throws {RangeError} If `maxDomains` is not an integer >= 0.
   */
  constructor(options: MetricsOptions = {}) {
    const meter = this.#registry.meter;
    const domains = new DomainLabels(options.maxDomains ?? DEFAULT_MAX_DOMAINS);
    this.#options = {
      now: options.now ?? Date.now,
      queueStatsTtlMs: options.queueStatsTtlMs ?? 15_000,
    };
    this.smtp = new SmtpInstruments(meter, options.listeners ?? []);
    this.#delivery = new DeliveryInstruments(meter, domains);
    this.tlsRpt = new TlsRptInstruments(meter);
    this.#spoolCommit = meter.createHistogram("empath_queue_spool_commit_duration_seconds", {
      description: "Time from the end of a message to its envelope commit (the 250 reply)",
      advice: { explicitBucketBoundaries: COMMIT_BUCKETS },
    });
    this.#authFailures = meter.createCounter("empath_control_auth_failures_total", {
      description: "Control API requests refused with 401 (missing, malformed or unknown token)",
    });
    this.#authFailures.add(0);
    const version = options.version ?? "unknown";
    meter.createObservableGauge("empath_build_info", {
      description: "Always 1; the labels tell which Empath runs",
    }).addCallback((result) => result.observe(1, { version }));
    this.#stops.push(observeRuntime(meter, { lagIntervalMs: options.lagIntervalMs ?? 1000 }));
  }

  /** The delivery engine's port. */
  get delivery(): DeliveryMetrics {
    return this.#delivery;
  }

  /**
   * Records how long an envelope commit took (the queue's `onCommitted` hook).
   *
   * @param durationMs From `commit()` to durable, in milliseconds.
   */
  spoolCommitted(durationMs: number): void {
    this.#spoolCommit.record(Math.max(0, durationMs) / 1000);
  }

  /** Counts a control API request refused with `401`. */
  authFailed(): void {
    this.#authFailures.add(1);
  }

  /**
   * Counts the per-recipient results (delivered, deferred, bounced) published on `events`
   * until {@linkcode shutdown}.
   */
  watch(events: MailEvents): void {
    this.#stops.push(this.#delivery.watch(events));
  }

  /** Reads the queue, delivery and DNS gauges and counters from `sources` at each scrape. */
  observe(sources: MetricSources): void {
    observeServices(this.#registry.meter, sources, {
      queueStatsTtlMs: this.#options.queueStatsTtlMs,
      now: this.#options.now,
    });
  }

  /**
   * Every metric in the Prometheus text exposition format (version 0.0.4).
   * A source that fails is left out of this scrape and logged.
   *
   * @returns The text, served with {@linkcode PROMETHEUS_CONTENT_TYPE}.
   */
  async scrape(): Promise<string> {
    const { text, errors } = await this.#registry.collect();
    for (const error of errors) logger.warn("A metric could not be read: {error}", { error });
    return text;
  }

  /** Stops the sampler and the event subscription and shuts the meter provider down. */
  async shutdown(): Promise<void> {
    for (const stop of this.#stops.splice(0)) stop();
    await this.#registry.shutdown();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }
}
