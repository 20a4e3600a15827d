import assert from "node:assert/strict";
import { type MeterProvider, metrics, trace, type TracerProvider } from "@opentelemetry/api";
import { flushObservability } from "./flush.ts";

Deno.test("flushObservability() force-flushes registered providers and is bounded in time", async () => {
  const flushed: string[] = [];
  const tracerProvider = {
    getTracer: () => trace.getTracerProvider().getTracer("noop"),
    forceFlush: () => Promise.resolve(void flushed.push("traces")),
  };
  const meterProvider = {
    getMeter: () => metrics.getMeterProvider().getMeter("noop"),
    // An exporter that never answers must not hold up the exit.
    forceFlush: () => new Promise<void>(() => void flushed.push("metrics")),
  };
  assert.ok(trace.setGlobalTracerProvider(tracerProvider as TracerProvider));
  assert.ok(metrics.setGlobalMeterProvider(meterProvider as MeterProvider));
  try {
    const started = performance.now();
    await flushObservability({ timeoutMs: 50 });
    assert.ok(performance.now() - started < 1000);
    assert.deepEqual(flushed.sort(), ["metrics", "traces"]);
  } finally {
    trace.disable();
    metrics.disable();
  }
});

Deno.test("flushObservability() does nothing harmful without an SDK", async () => {
  await flushObservability({ timeoutMs: 50 });
});
