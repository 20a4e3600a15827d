// One OpenTelemetry MeterProvider of Empath's own (never the global one) with a
// Prometheus exporter that starts no server: the control API serializes on each scrape.
import type { Meter } from "@opentelemetry/api";
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus";
import { MeterProvider } from "@opentelemetry/sdk-metrics";

/** The instrumentation scope of every Empath instrument. */
const SCOPE = "empath";

/** A meter and the text of its current values in the Prometheus exposition format. */
export class PrometheusRegistry {
  readonly meter: Meter;
  readonly #provider: MeterProvider;
  readonly #exporter: PrometheusExporter;
  // Positional options: no prefix, no timestamps, no resource labels, no
  // target_info, no otel_scope_* labels (one scope: they would only add noise).
  readonly #serializer = new PrometheusSerializer("", false, undefined, true, true);

  constructor() {
    this.#exporter = new PrometheusExporter({
      preventServerStart: true,
      withoutScopeInfo: true,
      withoutTargetInfo: true,
    });
    this.#provider = new MeterProvider({ readers: [this.#exporter] });
    this.meter = this.#provider.getMeter(SCOPE);
  }

  /** Collects every instrument; returns the text and the errors of observable callbacks. */
  async collect(): Promise<{ text: string; errors: unknown[] }> {
    const { resourceMetrics, errors } = await this.#exporter.collect();
    return { text: this.#serializer.serialize(resourceMetrics), errors };
  }

  /** Shuts the provider down; later collections fail. */
  shutdown(): Promise<void> {
    return this.#provider.shutdown();
  }
}
