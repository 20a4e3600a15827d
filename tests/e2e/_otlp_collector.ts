// An OTLP/HTTP JSON collector for the tracing e2e tests, and lookups over the spans it kept.
import assert from "node:assert/strict";

/** The trace and parent span of the `traceparent` header the tests submit mail with. */
export const SUBMITTED_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
export const SUBMITTED_SPAN = "00f067aa0ba902b7";

/** One span as exported (OTLP JSON), attributes flattened to plain values. */
export interface ExportedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: number;
  readonly attributes: Record<string, unknown>;
  readonly events: { name: string; attributes: Record<string, unknown> }[];
  readonly links: { traceId: string; spanId: string }[];
  readonly status: { code?: number; message?: string };
  /** The exporting process's resource attributes (`service.name`, `service.instance.id`…). */
  readonly resource: Record<string, unknown>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpValue[] };
}

type OtlpAttributes = { key: string; value: OtlpValue }[] | undefined;

function plain(value: OtlpValue): unknown {
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(plain);
  if (value.intValue !== undefined) return Number(value.intValue);
  return value.stringValue ?? value.doubleValue ?? value.boolValue;
}

function attributesOf(attributes: OtlpAttributes): Record<string, unknown> {
  return Object.fromEntries((attributes ?? []).map(({ key, value }) => [key, plain(value)]));
}

/** An OTLP/HTTP collector on a free loopback port that keeps the spans of scope "empath". */
export function startCollector() {
  const spans: ExportedSpan[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const body = await request.text();
    if (new URL(request.url).pathname === "/v1/traces") {
      const json = JSON.parse(body);
      for (const resource of json.resourceSpans ?? []) {
        for (const scope of resource.scopeSpans ?? []) {
          if (scope.scope?.name !== "empath") continue;
          for (const span of scope.spans ?? []) {
            spans.push({
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId ?? "",
              name: span.name,
              kind: span.kind,
              attributes: attributesOf(span.attributes),
              events: (span.events ?? []).map((
                event: { name: string; attributes: OtlpAttributes },
              ) => ({
                name: event.name,
                attributes: attributesOf(event.attributes),
              })),
              links: span.links ?? [],
              status: span.status ?? {},
              resource: attributesOf(resource.resource?.attributes),
            });
          }
        }
      }
    }
    return Response.json({});
  });
  return {
    spans,
    endpoint: `http://127.0.0.1:${server.addr.port}`,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/** The spans called `name`. */
export function byName(spans: ExportedSpan[], name: string): ExportedSpan[] {
  return spans.filter((span) => span.name === name);
}

/** The one span called `name`; fails unless there is exactly one. */
export function one(spans: ExportedSpan[], name: string): ExportedSpan {
  const found = byName(spans, name);
  assert.equal(found.length, 1, `one "${name}" span, got ${spans.map((s) => s.name).join(", ")}`);
  return found[0];
}
