/**
 * The services the control API acts through, as narrow interfaces: the
 * composition root passes the real queue, delivery engine and DNS cache; tests
 * pass real objects built over memory ports.
 *
 * @module
 */
import type { PriorityConfig } from "../config/mod.ts";
import type {
  AuditEvent,
  ControlAuthMetrics,
  LogLevel,
  LogLevels,
  MailEvents,
} from "../observe/mod.ts";
import type { CircuitBreakers, PoolStats, RateLimiter } from "../delivery/mod.ts";
import type { HostSnapshot } from "../delivery/mod.ts";
import type { CachingResolver } from "../dns/mod.ts";
import type { CachedPolicy } from "../mta_sts/mod.ts";
import type { QueuedMessage, QueueStore } from "../queue/mod.ts";
import type { ConnectionSnapshot } from "../server/mod.ts";
import type { MessageSigning } from "../dkim/mod.ts";
import type { TlsReportRunSummary, TlsReportSnapshot } from "../tls_rpt/mod.ts";
import type { TokenIdentity } from "./tokens.ts";

/** The queue operations the control API uses. */
export type ControlQueue = Pick<
  QueueStore,
  "list" | "get" | "readBody" | "delete" | "stats" | "update" | "count" | "createSpool"
>;

/** The delivery engine parts the control API uses (a `DeliveryEngine` fits). */
export interface ControlDelivery {
  /** Per-domain token buckets. */
  readonly limiter: Pick<RateLimiter, "snapshot" | "setLimit" | "limits">;
  /** Per-destination circuit breakers. */
  readonly breakers: Pick<CircuitBreakers, "states" | "reset">;
  /** Messages being delivered now. */
  readonly inFlight: number;
  /** Asks the scheduler to look at the queue now. */
  wake(): void;
  /** Connection reuse counters. */
  poolStats(): PoolStats;
  /** Per-host connection windows. */
  hosts(): HostSnapshot[];
  /** Cached MTA-STS policies that have not expired; absent: none are kept. */
  mtaStsPolicies?(): readonly CachedPolicy[];
  /**
   * Bounces the undelivered recipients of a message to its sender with `reason`;
   * whether a bounce was queued (never for a null sender).
   */
  bounceUndelivered(message: QueuedMessage, reason: string): Promise<boolean>;
}

/** SMTP TLS Reporting (RFC 8460), as the control API uses it (a `TlsReporting` fits). */
export interface ControlTlsRpt {
  /** Whether sessions are recorded and reports sent (`[delivery.tls_rpt] enabled`). */
  readonly enabled: boolean;
  /** The counts not yet reported and the submissions waiting for another try. */
  snapshot(): Promise<TlsReportSnapshot>;
  /** Sends every report now, the current period up to now included. */
  send(): Promise<TlsReportRunSummary>;
}

/** The metrics the control API serves and counts into (an `EmpathMetrics` fits). */
export interface ControlMetrics extends ControlAuthMetrics {
  /** Every metric in the Prometheus text exposition format (0.0.4). */
  scrape(): Promise<string>;
}

/** Where the control API records audit events (an `AuditTrail` fits). */
export interface ControlAudit {
  record(event: AuditEvent): void;
}

/** Checks bearer tokens (a `TokenVerifier` fits). */
export interface ControlTokens {
  /** The identity of a valid token, or `undefined` for a missing or unknown one. */
  verify(token: string | undefined): Promise<TokenIdentity | undefined>;
}

/** Everything {@linkcode createControlApp} needs; it keeps no state of its own. */
export interface ControlDeps {
  /** The message queue. */
  readonly queue: ControlQueue;
  /** The delivery engine. */
  readonly delivery: ControlDelivery;
  /**
   * Re-reads and applies the configuration file; rejects with a `ConfigError`
   * listing every problem (the running configuration stays). Absent when the
   * daemon runs on built-in defaults.
   */
  readonly reload?: () => Promise<{
    readonly changes: readonly { path: string; before: unknown; after: unknown }[];
    readonly restartRequired: readonly string[];
  }>;
  /** Runtime log levels (`/v1/system/log-level`); absent when logging is not set up here. */
  readonly logging?: {
    levels(): LogLevels | undefined;
    set(category: readonly string[], level: LogLevel | null): Promise<void>;
  };
  /** Delivery events, streamed by `GET /v1/events`. */
  readonly events: MailEvents;
  /** The audit trail of control commands and refused tokens; absent: none is kept. */
  readonly audit?: ControlAudit;
  /** The DNS cache. */
  readonly dns: Pick<CachingResolver, "stats" | "entries" | "flush">;
  /** SMTP TLS Reporting; absent: `GET /v1/delivery/tls-rpt` shows nothing, sending answers 409. */
  readonly tlsRpt?: ControlTlsRpt;
  /** Open SMTP connections. */
  connections(): readonly ConnectionSnapshot[];
  /** Whether a shutdown began (`/readyz` then answers 503); absent: never. */
  readonly shuttingDown?: () => boolean;
  /** The running configuration with secrets redacted (`redactConfig(config)`). */
  config(): unknown;
  /** `[priority]` in effect, for injected messages; absent: the queue's default priority. */
  priority?(): PriorityConfig;
  /** Accepted bearer tokens. */
  readonly tokens: ControlTokens;
  /** Metrics for `GET /metrics`; absent: `/metrics` answers 404. */
  readonly metrics?: ControlMetrics;
  /** Largest request body, in bytes (`config.control.maxBody`). */
  readonly maxBody: number;
  /**
   * Largest message `POST /v1/messages` accepts, in bytes (`config.policy.maxMessageSize`).
   * @default {35_000_000} (the configuration's default)
   */
  readonly maxMessageSize: number;
  /**
   * This server's host name, for `Received:` and `Message-ID:` (`config.hostname`).
   * @default {"localhost"}
   */
  readonly hostname: string;
  /** Empath's version. */
  readonly version: string;
  /** DKIM signing for `POST /v1/messages`; absent: nothing is signed. */
  readonly dkim?: MessageSigning;
  /** When the instance started, in milliseconds since the epoch. */
  readonly startedAt: number;
  /** The current time, in milliseconds since the epoch. */
  now(): number;
}
