/**
 * Observability: structured logging with logtape (JSON Lines or text on standard error) under
 * the `["empath", "<module>"]` categories, and the audit trail (`startAudit`): redacted JSON
 * lines under its own category and sink. OpenTelemetry tracing through `@opentelemetry/api`
 * (`startSpan`, `inSpan`, exported by Deno with `OTEL_DENO=true`) with the W3C trace context
 * carried through the queue (`encodeTraceContext`, `storedContext`); log lines written inside a
 * span carry its `trace_id` and `span_id`. Prometheus metrics (`EmpathMetrics`, served at the
 * control API's `GET /metrics`), fed through small ports (`SmtpMetrics`, `DeliveryMetrics`) with
 * `domain` labels capped by `DomainLabels`.
 *
 * @example Usage
 * ```ts
 * import { getLogger, resetLogging, setupLogging } from "./mod.ts";
 *
 * await setupLogging({ level: "info", format: "text", write: () => {} });
 * getLogger("server").info("Accepted connection from {ip}", { ip: "192.0.2.1" });
 * await resetLogging();
 * ```
 *
 * @module
 */

export {
  AUDIT_CATEGORY,
  getLogger,
  type LoggingOptions,
  type LogLevels,
  logLevels,
  resetLogging,
  ROOT_CATEGORY,
  setAuditSink,
  setLogLevel,
  setupLogging,
} from "./logging.ts";
export type { Logger, LogLevel } from "@logtape/logtape";
export * from "./events.ts";
export * from "./flush.ts";
export * from "./tracing.ts";
export * from "./trace_context.ts";
export * from "./audit.ts";
export * from "./domain_labels.ts";
export * from "./metric_ports.ts";
export * from "./metrics.ts";
