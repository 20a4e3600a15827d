/**
 * The ports through which the other areas report to metrics, and the sources
 * metrics read at scrape time. They are plain interfaces so that `lib/server`,
 * `lib/delivery` and the control API depend on this file only, never on the
 * OpenTelemetry SDK; tests leave them out or pass a recording fake.
 *
 * @module
 */

/** What the SMTP listener and connection driver report. */
export interface SmtpMetrics {
  /** A connection was admitted on `listener`. */
  connectionOpened(listener: string): void;
  /** An admitted connection on `listener` closed. */
  connectionClosed(listener: string): void;
  /**
   * A connection was refused with `421` before its session started; `reason` is one of a
   * fixed few (`"global-limit"`, `"per-ip-limit"`, `"shutting-down"`).
   */
  connectionRejected(listener: string, reason: string): void;
  /** MAIL FROM was accepted: a transaction started. */
  transactionStarted(listener: string): void;
  /** A message was queued (`250` after DATA or BDAT LAST); `bytes` is its size as received. */
  messageReceived(listener: string, bytes: number): void;
  /** A reply was written; only its class (2xx to 5xx) is counted. */
  replySent(code: number): void;
  /** A STARTTLS handshake on `listener` ended, successfully or not. */
  tlsHandshake(listener: string, ok: boolean): void;
}

/** What the delivery engine reports besides the `MailEvents` it publishes. */
export interface DeliveryMetrics {
  /** An attempt to deliver to `domain` starts; `retry` when the message was tried before. */
  attemptStarted(domain: string, retry: boolean): void;
  /** A recipient was delivered; `receivedAt` is when its message was queued. */
  recipientDelivered(receivedAt: number, deliveredAt: number): void;
  /** The rate limit of `domain` postponed its recipients by `delayMs`. */
  rateLimited(domain: string, delayMs: number): void;
  /**
   * A bounce (RFC 3464 delivery status notification) was queued: one for recipients that
   * `failed` (the default), a `delayed` warning (`[queue] delay_warning`), or a success report
   * (`delivered` or `relayed`, asked for with DSN `NOTIFY=SUCCESS`).
   */
  bounceQueued(action?: "failed" | "delayed" | "delivered" | "relayed"): void;
  /**
   * A delivery to `domain` fell short of its MTA-STS policy (RFC 8461): `mode` is `"enforce"`
   * (the recipients were deferred) or `"testing"` (delivered anyway); `failure` is one of a fixed
   * few (`"mx-mismatch"`, `"starttls"`, `"certificate"`).
   */
  mtaStsFailure(domain: string, mode: string, failure: string): void;
}

/** What SMTP TLS Reporting (RFC 8460) reports. */
export interface TlsRptMetrics {
  /**
   * An outbound TLS session was recorded for the reports: `result` is `"success"` or an RFC 8460
   * result type (`"starttls-not-supported"`, `"certificate-host-mismatch"`, …).
   */
  sessionRecorded(result: string): void;
  /** The results that may be recorded, so each series exists (at 0) before its first session. */
  knownResults(results: readonly string[]): void;
  /** A report was submitted to one destination (`transport` `"mailto"` or `"https"`), or failed. */
  reportSubmitted(transport: string, ok: boolean): void;
}

/** What the control API reports. */
export interface ControlAuthMetrics {
  /** A request was refused with `401`: missing, malformed or unknown token. */
  authFailed(): void;
}

/** Queue aggregates, as `QueueStore.stats()` returns them. */
export interface QueueStatsSource {
  stats(): Promise<{
    readonly byState: Readonly<Record<string, number>>;
    readonly bytes: number;
    readonly oldestCreatedAt?: number;
  }>;
}

/** Circuit breakers, as `CircuitBreakers` reports them. */
export interface BreakerSource {
  states(): readonly { readonly state: string }[];
  counters(): { readonly trips: number; readonly recoveries: number };
}

/** What the instance exposes for the gauges and counters read at scrape time. */
export interface MetricSources {
  /** The queue; its (scanning) `stats()` is cached between scrapes. */
  readonly queue: QueueStatsSource;
  /** Path of the queue file: the free space of its file system is reported. Absent or `":memory:"`: not reported. */
  readonly queuePath?: string;
  /** Delivery: messages in flight, connection pool and breakers. */
  readonly delivery: {
    readonly inFlight: number;
    readonly breakers: BreakerSource;
    poolStats(): { readonly hits: number; readonly misses: number; readonly size: number };
  };
  /** The DNS cache counters. */
  readonly dns: {
    stats(): {
      readonly hits: number;
      readonly misses: number;
      readonly errors: number;
      readonly entries: number;
    };
  };
}
