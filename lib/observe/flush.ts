import { dispose } from "@logtape/logtape";
import { metrics, trace } from "@opentelemetry/api";

/** Options of {@linkcode flushObservability}. */
export interface FlushOptions {
  /** Longest wait for telemetry exporters. @default {5000} */
  readonly timeoutMs?: number;
}

/**
 * Flushes what observability still holds before the process exits: spans and metrics buffered
 * by an OpenTelemetry SDK registered with `@opentelemetry/api` (its `forceFlush()`, bounded by
 * `timeoutMs`), then logtape's sinks. Deno's built-in OpenTelemetry (`OTEL_DENO=true`) exports
 * what it holds when the process exits, so it needs nothing here. Never throws.
 *
 * @param options The time limit for exporters.
 *
 * @example Usage
 * ```ts
 * import { flushObservability } from "./flush.ts";
 *
 * await flushObservability({ timeoutMs: 1000 });
 * ```
 */
export async function flushObservability(options: FlushOptions = {}): Promise<void> {
  const providers = [trace.getTracerProvider(), metrics.getMeterProvider()];
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.allSettled(providers.map(forceFlush)),
    new Promise((resolve) => timer = setTimeout(resolve, options.timeoutMs ?? 5000)),
  ]);
  clearTimeout(timer);
  await dispose().catch(() => {});
}

interface Flushable {
  forceFlush?: () => Promise<unknown>;
  getDelegate?: () => unknown;
}

function forceFlush(provider: unknown): Promise<unknown> {
  // The API hands out a proxy that forwards to the SDK provider once one is registered.
  const proxy = provider as Flushable;
  const target = (typeof proxy.getDelegate === "function" ? proxy.getDelegate() : proxy) as
    | Flushable
    | undefined;
  if (typeof target?.forceFlush !== "function") return Promise.resolve();
  return target.forceFlush();
}
