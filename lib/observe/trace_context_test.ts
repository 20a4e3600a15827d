import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeTraceContext,
  encodeTraceContext,
  formatTraceparent,
  HeaderTraceScanner,
  MAX_HEADER_SCAN,
  parseTraceparent,
  traceFromHeaderSection,
} from "./trace_context.ts";

const TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
const SPAN_ID = "b7ad6b7169203331";
const TRACEPARENT = `00-${TRACE_ID}-${SPAN_ID}-01`;
const encoder = new TextEncoder();

Deno.test("parseTraceparent() reads a version 00 value as a remote span context", () => {
  const context = parseTraceparent(` ${TRACEPARENT} `);
  assert.deepEqual(context, { traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1, isRemote: true });
  assert.equal(parseTraceparent(`00-${TRACE_ID}-${SPAN_ID}-00`)?.traceFlags, 0);
});

Deno.test("parseTraceparent() rejects invalid values", () => {
  for (
    const value of [
      "",
      "garbage",
      `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01`, // §3.2.2: lowercase only
      `00-${"0".repeat(32)}-${SPAN_ID}-01`,
      `00-${TRACE_ID}-${"0".repeat(16)}-01`,
      `ff-${TRACE_ID}-${SPAN_ID}-01`,
      `00-${TRACE_ID}-${SPAN_ID}-01-extra`, // version 00 has exactly four fields
      `00-${TRACE_ID.slice(1)}-${SPAN_ID}-01`,
      `00_${TRACE_ID}_${SPAN_ID}_01`,
    ]
  ) {
    assert.equal(parseTraceparent(value), undefined, value);
  }
});

Deno.test("parseTraceparent() accepts fields a later version adds after the flags", () => {
  assert.equal(parseTraceparent(`01-${TRACE_ID}-${SPAN_ID}-01-future`)?.traceId, TRACE_ID);
});

Deno.test("parseTraceparent() keeps a tracestate of at most 512 characters", () => {
  assert.equal(parseTraceparent(TRACEPARENT, "a=1,b=2")?.traceState?.get("b"), "2");
  assert.equal(parseTraceparent(TRACEPARENT, `a=${"x".repeat(600)}`)?.traceState, undefined);
  assert.equal(parseTraceparent(TRACEPARENT, " ")?.traceState, undefined);
});

Deno.test("encodeTraceContext() and decodeTraceContext() round-trip any valid span context", () => {
  const hex = (length: number) =>
    fc.string({
      unit: fc.constantFrom(..."0123456789abcdef"),
      minLength: length,
      maxLength: length,
    })
      .filter((value) => !/^0+$/.test(value));
  fc.assert(
    fc.property(hex(32), hex(16), fc.integer({ min: 0, max: 255 }), (traceId, spanId, flags) => {
      const record = encodeTraceContext({ traceId, spanId, traceFlags: flags });
      assert.equal(record?.traceparent, formatTraceparent({ traceId, spanId, traceFlags: flags }));
      assert.deepEqual(decodeTraceContext(record), {
        traceId,
        spanId,
        traceFlags: flags,
        isRemote: true,
      });
    }),
  );
});

Deno.test("encodeTraceContext() stores tracestate and nothing for an invalid context", () => {
  const context = parseTraceparent(TRACEPARENT, "vendor=value")!;
  assert.deepEqual(encodeTraceContext(context), {
    traceparent: TRACEPARENT,
    tracestate: "vendor=value",
  });
  assert.equal(encodeTraceContext(undefined), undefined);
  assert.equal(
    encodeTraceContext({ traceId: "0".repeat(32), spanId: "0".repeat(16), traceFlags: 0 }),
    undefined,
  );
  assert.equal(decodeTraceContext({}), undefined);
  assert.equal(decodeTraceContext({ traceparent: "bad" }), undefined);
});

Deno.test("traceFromHeaderSection() finds traceparent in any case, folded, before the body only", () => {
  const header = "From: a@example.test\r\nTRACEPARENT:\r\n " + TRACEPARENT +
    "\r\ntracestate: v=1\r\nSubject: x\r\n\r\n";
  const context = traceFromHeaderSection(header);
  assert.equal(context?.spanId, SPAN_ID);
  assert.equal(context?.traceState?.get("v"), "1");
  assert.equal(
    traceFromHeaderSection(`Subject: x\r\n\r\ntraceparent: ${TRACEPARENT}\r\n`),
    undefined,
  );
  assert.equal(traceFromHeaderSection(`\r\ntraceparent: ${TRACEPARENT}\r\n`), undefined);
  assert.equal(traceFromHeaderSection("Subject: no trace\n\n"), undefined);
});

Deno.test("traceFromHeaderSection() takes the first valid traceparent field", () => {
  const second = `00-${"1".repeat(32)}-${"2".repeat(16)}-01`;
  const header = `traceparent: invalid\r\ntraceparent: ${TRACEPARENT}\r\n` +
    `traceparent: ${second}\r\n\r\n`;
  assert.equal(traceFromHeaderSection(header)?.traceId, TRACE_ID);
});

Deno.test("HeaderTraceScanner gives the same result for the message split at every offset", () => {
  const message = encoder.encode(
    `Received: from x\r\n\tby y\r\nTraceparent: ${TRACEPARENT}\r\nSubject: s\r\n\r\n` +
      `traceparent: 00-${"1".repeat(32)}-${"2".repeat(16)}-01\r\nbody\r\n`,
  );
  for (let split = 0; split <= message.length; split++) {
    const scanner = new HeaderTraceScanner();
    scanner.push(message.subarray(0, split));
    scanner.push(message.subarray(split));
    assert.equal(scanner.done, true);
    assert.equal(scanner.result()?.traceId, TRACE_ID, `split at ${split}`);
  }
});

Deno.test("HeaderTraceScanner finds the end of the header section across chunks", () => {
  const scanner = new HeaderTraceScanner();
  for (const part of [`traceparent: ${TRACEPARENT}\r`, "\n", "\r", "\n", "Body\r\n"]) {
    scanner.push(encoder.encode(part));
  }
  assert.equal(scanner.done, true);
  assert.equal(scanner.result()?.spanId, SPAN_ID);
});

Deno.test("HeaderTraceScanner stops collecting after MAX_HEADER_SCAN bytes", () => {
  const scanner = new HeaderTraceScanner();
  const filler = encoder.encode(`X-Filler: ${"a".repeat(1000)}\r\n`);
  while (!scanner.done) scanner.push(filler);
  assert.ok(scanner.done);
  scanner.push(encoder.encode(`traceparent: ${TRACEPARENT}\r\n\r\n`));
  assert.equal(scanner.result(), undefined);
  assert.ok(MAX_HEADER_SCAN >= 64 * 1024);
});

Deno.test("HeaderTraceScanner parses what it has when the message ends without a body", () => {
  const scanner = new HeaderTraceScanner();
  scanner.push(encoder.encode(`traceparent: ${TRACEPARENT}\r\n`));
  assert.equal(scanner.done, false);
  assert.equal(scanner.result()?.traceId, TRACE_ID);
});
