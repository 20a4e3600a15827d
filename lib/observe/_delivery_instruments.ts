// The delivery side's instruments: per-recipient results from the MailEvents bus,
// the rest (retries, rate limiting, bounces, MTA-STS failures) behind the DeliveryMetrics port.
import type { Counter, Histogram, Meter } from "@opentelemetry/api";
import type { DomainLabels } from "./domain_labels.ts";
import type { MailEvent, MailEvents } from "./events.ts";
import type { DeliveryMetrics } from "./metric_ports.ts";

/** Bucket bounds of the receive → delivered histogram, in seconds: 1 s to 1 day. */
export const DELIVERY_LATENCY_BUCKETS = [
  1,
  5,
  15,
  30,
  60,
  120,
  300,
  600,
  1800,
  3600,
  7200,
  14400,
  43200,
  86400,
];

/** Bucket bounds of the rate-limit delay histogram, in seconds. */
const RATE_DELAY_BUCKETS = [0.1, 0.5, 1, 2, 5, 10, 30, 60, 300];

/** The `action` labels of the bounce counter, started at 0. */
const BOUNCE_ACTIONS = ["failed", "delayed"] as const;

/** Which `MailEvent` types are per-recipient results, and their `result` label. */
const RESULTS: Partial<Record<MailEvent["type"], string>> = {
  delivered: "delivered",
  deferred: "deferred",
  bounced: "failed",
};

/** Attempts, latency, retries, bounces and rate limiting; domain labels capped. */
export class DeliveryInstruments implements DeliveryMetrics {
  readonly #domains: DomainLabels;
  readonly #attempts: Counter;
  readonly #latency: Histogram;
  readonly #retries: Counter;
  readonly #bounces: Counter;
  readonly #rateLimited: Counter;
  readonly #rateDelay: Histogram;
  readonly #mtaStsFailures: Counter;

  constructor(meter: Meter, domains: DomainLabels) {
    this.#domains = domains;
    this.#attempts = meter.createCounter("empath_delivery_attempts_total", {
      description: "Per-recipient delivery results (delivered, deferred, failed), by domain",
    });
    this.#latency = meter.createHistogram("empath_delivery_latency_seconds", {
      description: "Time from receiving a message to delivering a recipient",
      advice: { explicitBucketBoundaries: DELIVERY_LATENCY_BUCKETS },
    });
    this.#retries = meter.createCounter("empath_delivery_retries_total", {
      description: "Delivery attempts of messages that were attempted before, by domain",
    });
    this.#bounces = meter.createCounter("empath_delivery_bounces_total", {
      description: "Bounces (delivery status notifications) queued to senders, by action " +
        "(failed, or delayed for delay warnings)",
    });
    this.#rateLimited = meter.createCounter("empath_delivery_rate_limited_total", {
      description: "Deliveries postponed by a domain's rate limit, by domain",
    });
    this.#rateDelay = meter.createHistogram("empath_delivery_rate_limit_delay_seconds", {
      description: "How long the rate limit postponed a delivery",
      advice: { explicitBucketBoundaries: RATE_DELAY_BUCKETS },
    });
    this.#mtaStsFailures = meter.createCounter("empath_delivery_mta_sts_failures_total", {
      description: "Deliveries that fell short of the domain's MTA-STS policy, by domain, " +
        "mode (enforce: deferred; testing: delivered anyway) and failure",
    });
    for (const action of BOUNCE_ACTIONS) this.#bounces.add(0, { action });
  }

  /**
   * Counts per-recipient results published on `events`.
   *
   * @returns The function that stops counting.
   */
  watch(events: MailEvents): () => void {
    return events.subscribe((event) => {
      const result = RESULTS[event.type];
      if (result === undefined) return;
      this.#attempts.add(1, { domain: this.#domains.label(event.domain), result });
    });
  }

  attemptStarted(domain: string, retry: boolean): void {
    if (retry) this.#retries.add(1, { domain: this.#domains.label(domain) });
  }

  recipientDelivered(receivedAt: number, deliveredAt: number): void {
    this.#latency.record(Math.max(0, deliveredAt - receivedAt) / 1000);
  }

  rateLimited(domain: string, delayMs: number): void {
    this.#rateLimited.add(1, { domain: this.#domains.label(domain) });
    this.#rateDelay.record(Math.max(0, delayMs) / 1000);
  }

  bounceQueued(action: "failed" | "delayed" | "delivered" | "relayed" = "failed"): void {
    this.#bounces.add(1, { action });
  }

  mtaStsFailure(domain: string, mode: string, failure: string): void {
    this.#mtaStsFailures.add(1, { domain: this.#domains.label(domain), mode, failure });
  }
}
