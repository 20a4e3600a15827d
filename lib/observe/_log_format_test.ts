import assert from "node:assert/strict";
import { context, trace } from "@opentelemetry/api";
import type { LogRecord } from "@logtape/logtape";
import { jsonLineFormatter, textLineFormatter } from "./_log_format.ts";
import { installContextManager, installSpanRecorder } from "./tracing_testing.ts";
import { inSpan } from "./tracing.ts";

const TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
const SPAN_ID = "b7ad6b7169203331";

function record(properties: Record<string, unknown> = {}): LogRecord {
  return {
    category: ["empath", "delivery"],
    level: "info",
    message: ["Message ", "01ABC", " delivered"],
    rawMessage: "Message {message_id} delivered",
    timestamp: Date.UTC(2025, 0, 2, 3, 4, 5),
    properties,
  };
}

Deno.test("jsonLineFormatter() adds trace_id and span_id inside an active span", () => {
  using _context = installContextManager();
  const span = trace.wrapSpanContext({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1 });
  const line = context.with(
    trace.setSpan(context.active(), span),
    () => jsonLineFormatter(record({ message_id: "01ABC", domain: "example.org" })),
  );
  const parsed = JSON.parse(line);
  assert.deepEqual(Object.keys(parsed), [
    "timestamp",
    "level",
    "category",
    "message",
    "trace_id",
    "span_id",
    "properties",
  ]);
  assert.equal(parsed.trace_id, TRACE_ID);
  assert.equal(parsed.span_id, SPAN_ID);
  assert.deepEqual(parsed.properties, { message_id: "01ABC", domain: "example.org" });
});

Deno.test("jsonLineFormatter() writes no trace fields outside a span", () => {
  using _context = installContextManager();
  const parsed = JSON.parse(jsonLineFormatter(record()));
  assert.equal("trace_id" in parsed, false);
  assert.equal("span_id" in parsed, false);
  assert.equal(parsed.timestamp, "2025-01-02T03:04:05.000Z");
  assert.equal(parsed.category, "empath.delivery");
  assert.equal(parsed.message, "Message 01ABC delivered");
});

Deno.test("jsonLineFormatter() sees the span across awaits inside inSpan()", async () => {
  using recorder = installSpanRecorder();
  const line = await inSpan("delivery.attempt", {}, async () => {
    await new Promise((resolve) => setTimeout(resolve, 1));
    return jsonLineFormatter(record());
  });
  const parsed = JSON.parse(line);
  assert.equal(parsed.trace_id, recorder.spans[0].traceId);
  assert.equal(parsed.span_id, recorder.spans[0].spanId);
});

Deno.test("textLineFormatter() ends the line with trace_id and span_id inside a span", () => {
  using _context = installContextManager();
  const span = trace.wrapSpanContext({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1 });
  const line = context.with(
    trace.setSpan(context.active(), span),
    () => textLineFormatter(record({ smtp_code: 250 })),
  );
  assert.match(
    line,
    new RegExp(
      `\\[INF\\] empath\\.delivery: Message "01ABC" delivered smtp_code=250 ` +
        `trace_id=${TRACE_ID} span_id=${SPAN_ID}\\n$`,
    ),
  );
  assert.doesNotMatch(textLineFormatter(record()), /trace_id/);
});
