/**
 * SMTP TLS Reporting (RFC 8460) for the composition root: built from `[delivery.tls_rpt]` over
 * the queue's database, the DNS cache, DKIM signing and the metrics. Private to lib/app.ts.
 *
 * @module
 */
import type { Config } from "./config/mod.ts";
import type { TxtResolver } from "./dns/mod.ts";
import type { MessageSigning } from "./dkim/mod.ts";
import type { TlsRptMetrics } from "./observe/mod.ts";
import type { QueueStore } from "./queue/mod.ts";
import { createTlsReporting, type TlsReporting, tlsReportSubmitter } from "./tls_rpt/mod.ts";

/** What TLS reporting is built over. */
export interface TlsRptParts {
  readonly queue: QueueStore;
  readonly dns: TxtResolver;
  readonly dkim: MessageSigning;
  readonly metrics: { readonly tlsRpt: TlsRptMetrics };
  readonly now: () => number;
  /** `[delivery.tls_rpt] ca_file`'s certificates, when it is set. */
  readonly tlsRptCaCerts?: readonly string[];
  /** Wakes delivery when a report email is queued. */
  readonly wake: () => void;
}

/**
 * Builds TLS reporting from `[delivery.tls_rpt]`. Built even when disabled (nothing is
 * recorded or scheduled then), so that the control API can show what is stored.
 *
 * @param config The configuration at start (every key applies after a restart).
 * @param parts The stores and services it works over.
 * @returns The reporting; start it with the instance, stop it before the queue closes.
 */
export function buildTlsRpt(config: Config, parts: TlsRptParts): TlsReporting {
  const { tlsRpt } = config.delivery;
  return createTlsReporting({
    enabled: tlsRpt.enabled,
    intervalMs: tlsRpt.interval,
    hostname: config.hostname,
    submitter: tlsReportSubmitter({ hostname: config.hostname, ...tlsRpt }),
    caCerts: parts.tlsRptCaCerts,
  }, {
    queue: parts.queue,
    dns: parts.dns,
    clock: { now: parts.now },
    dkim: parts.dkim,
    metrics: parts.metrics.tlsRpt,
    onQueued: () => parts.wake(),
  });
}
