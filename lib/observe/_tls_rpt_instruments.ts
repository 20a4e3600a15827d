// SMTP TLS Reporting's instruments (RFC 8460), behind the TlsRptMetrics port.
import type { Counter, Meter } from "@opentelemetry/api";
import type { TlsRptMetrics } from "./metric_ports.ts";

/** The `transport` labels of the report counter. */
const TRANSPORTS = ["mailto", "https"] as const;

/** Sessions recorded by result, and reports submitted by transport and outcome. */
export class TlsRptInstruments implements TlsRptMetrics {
  readonly #sessions: Counter;
  readonly #reports: Counter;

  /** @param meter Where the instruments are created. */
  constructor(meter: Meter) {
    this.#sessions = meter.createCounter("empath_tls_rpt_sessions_total", {
      description: "Outbound TLS sessions recorded for SMTP TLS reports (RFC 8460), by result",
    });
    this.#reports = meter.createCounter("empath_tls_rpt_reports_total", {
      description: "SMTP TLS reports submitted to a destination, by transport and outcome",
    });
    for (const transport of TRANSPORTS) {
      for (const outcome of ["sent", "failed"]) this.#reports.add(0, { transport, outcome });
    }
  }

  sessionRecorded(result: string): void {
    this.#sessions.add(1, { result });
  }

  knownResults(results: readonly string[]): void {
    for (const result of results) this.#sessions.add(0, { result });
  }

  reportSubmitted(transport: string, ok: boolean): void {
    this.#reports.add(1, { transport, outcome: ok ? "sent" : "failed" });
  }
}
