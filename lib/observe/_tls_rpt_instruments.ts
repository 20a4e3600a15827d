// SMTP TLS Reporting's instruments (RFC 8460), behind the TlsRptMetrics port.
import type { Counter, Meter } from "@opentelemetry/api";
import type { TlsRptMetrics } from "./metric_ports.ts";

/** The `result` labels of the session counter, started at 0: success and the result types. */
const SESSION_RESULTS = [
  "success",
  "starttls-not-supported",
  "certificate-host-mismatch",
  "certificate-expired",
  "certificate-not-trusted",
  "validation-failure",
  "sts-policy-fetch-error",
  "sts-policy-invalid",
  "sts-webpki-invalid",
] as const;

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
    for (const result of SESSION_RESULTS) this.#sessions.add(0, { result });
    for (const transport of TRANSPORTS) {
      for (const outcome of ["sent", "failed"]) this.#reports.add(0, { transport, outcome });
    }
  }

  sessionRecorded(result: string): void {
    this.#sessions.add(1, { result });
  }

  reportSubmitted(transport: string, ok: boolean): void {
    this.#reports.add(1, { transport, outcome: ok ? "sent" : "failed" });
  }
}
