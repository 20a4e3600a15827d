import assert from "node:assert/strict";
import { decodeTraceContext } from "../observe/mod.ts";
import { installSpanRecorder } from "../observe/tracing_testing.ts";
import { openFixture } from "./testing.ts";

const TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
const SPAN_ID = "b7ad6b7169203331";
const RAW = "From: a@example.org\r\nSubject: hi\r\n\r\nbody\r\n";

Deno.test("POST /v1/messages with traceparent: the queue.commit span continues it and is stored", async () => {
  using recorder = installSpanRecorder();
  await using fixture = await openFixture();
  const response = await fixture.call("/v1/messages?from=a@example.org&to=b@example.net", {
    method: "POST",
    headers: {
      "Content-Type": "message/rfc822",
      traceparent: `00-${TRACE_ID}-${SPAN_ID}-01`,
      tracestate: "vendor=value",
    },
    body: RAW,
  });
  assert.equal(response.status, 202);
  const { id } = await response.json();
  const [commit] = recorder.spans.filter((span) => span.name === "queue.commit");
  assert.equal(commit.traceId, TRACE_ID);
  assert.equal(commit.parentSpanId, SPAN_ID);
  assert.equal(commit.attributes["empath.message_id"], id);
  assert.ok(commit.ended);
  const stored = decodeTraceContext((await fixture.queue.get(id))?.traceContext);
  assert.equal(stored?.traceId, TRACE_ID);
  assert.equal(stored?.spanId, commit.spanId);
});

Deno.test("POST /v1/messages without traceparent: the queue.commit span starts a trace", async () => {
  using recorder = installSpanRecorder();
  await using fixture = await openFixture();
  const response = await fixture.call("/v1/messages?from=a@example.org&to=b@example.net", {
    method: "POST",
    headers: { "Content-Type": "message/rfc822" },
    body: RAW,
  });
  const { id } = await response.json();
  const [commit] = recorder.spans.filter((span) => span.name === "queue.commit");
  assert.equal(commit.parentSpanId, undefined);
  const stored = decodeTraceContext((await fixture.queue.get(id))?.traceContext);
  assert.equal(stored?.spanId, commit.spanId);
});
