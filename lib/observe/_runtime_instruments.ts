// Process instruments: memory (Deno.memoryUsage) and event-loop lag, sampled by
// one unref'd timer that is cleared on close.
import type { Histogram, Meter } from "@opentelemetry/api";

/** Bucket bounds of the event-loop lag histogram, in seconds. */
const LAG_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** Registers the memory gauge and starts the lag sampler; returns the function that stops it. */
export function observeRuntime(meter: Meter, options: { lagIntervalMs: number }): () => void {
  meter.createObservableGauge("empath_process_memory_bytes", {
    description: "Memory of the Empath process, by kind (rss, heap_total, heap_used, external)",
  }).addCallback((result) => {
    const usage = Deno.memoryUsage();
    result.observe(usage.rss, { kind: "rss" });
    result.observe(usage.heapTotal, { kind: "heap_total" });
    result.observe(usage.heapUsed, { kind: "heap_used" });
    result.observe(usage.external, { kind: "external" });
  });
  const lag = meter.createHistogram("empath_process_event_loop_lag_seconds", {
    description: "How late a timer fired: time the event loop was busy with other work",
    advice: { explicitBucketBoundaries: LAG_BUCKETS },
  });
  return sampleLag(lag, options.lagIntervalMs);
}

/**
 * Records, every `intervalMs`, how much later than asked a timer fired. The
 * timer does not keep the process alive.
 */
function sampleLag(lag: Histogram, intervalMs: number): () => void {
  if (intervalMs <= 0) return () => {};
  let expected = performance.now() + intervalMs;
  const timer = setInterval(() => {
    const now = performance.now();
    lag.record(Math.max(0, now - expected) / 1000);
    expected = now + intervalMs;
  }, intervalMs);
  Deno.unrefTimer(timer);
  return () => clearInterval(timer);
}
