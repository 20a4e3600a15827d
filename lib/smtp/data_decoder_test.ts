import assert from "node:assert/strict";
import fc from "fast-check";
import {
  DataDecoder,
  type DataDecoderOptions,
  type DataOutcome,
  dotStuff,
} from "./data_decoder.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Decoded {
  readonly body: Uint8Array;
  readonly outcome: DataOutcome | undefined;
  readonly rest: string;
}

/** Decodes `chunks` until the end marker; returns the body, outcome and unconsumed rest. */
function decode(chunks: Uint8Array[], options?: DataDecoderOptions): Decoded {
  const data = new DataDecoder(options);
  const body: number[] = [];
  let outcome: DataOutcome | undefined;
  let rest = "";
  for (const chunk of chunks) {
    let input = chunk;
    while (input.length > 0 && outcome === undefined) {
      const step = data.decode(input);
      if (step.chunk) body.push(...step.chunk);
      outcome = step.outcome;
      input = input.subarray(step.consumed);
    }
    rest += decoder.decode(input);
  }
  return { body: Uint8Array.from(body), outcome, rest };
}

function decodeText(text: string, options?: DataDecoderOptions) {
  const result = decode([encoder.encode(text)], options);
  return { ...result, text: decoder.decode(result.body) };
}

Deno.test("DataDecoder removes dot-stuffing and ends at CRLF.CRLF", () => {
  const result = decodeText("a\r\n..b\r\n.c\r\n...\r\n.\r\nQUIT\r\n");
  assert.equal(result.text, "a\r\n.b\r\nc\r\n..\r\n");
  assert.deepEqual(result.outcome, { kind: "complete", size: 14 });
  assert.equal(result.rest, "QUIT\r\n");
});

Deno.test("DataDecoder accepts an empty message right after the DATA line", () => {
  const result = decodeText(".\r\nNOOP\r\n");
  assert.equal(result.text, "");
  assert.deepEqual(result.outcome, { kind: "complete", size: 0 });
  assert.equal(result.rest, "NOOP\r\n");
});

Deno.test("DataDecoder never ends on smuggling variants and rejects them with 550 5.6.0", () => {
  for (const payload of ["\n.\r\n", "\r\n.\n", "\n.\n", "\r.\r", "\r.\r\n", "\r\n.\r"]) {
    const result = decodeText(`a${payload}MAIL FROM:<x@y>\r\n.\r\nNOOP\r\n`);
    assert.equal(result.rest, "NOOP\r\n", JSON.stringify(payload));
    assert.equal(result.outcome?.kind, "rejected");
    if (result.outcome?.kind === "rejected") {
      assert.equal(result.outcome.reason, "bare-line-ending");
      assert.equal(result.outcome.reply.code, 550);
      assert.equal(result.outcome.reply.enhanced, "5.6.0");
    }
  }
});

Deno.test("DataDecoder rejects a line over the limit with 550 5.5.2 after consuming the data", () => {
  const ok = decodeText(`${"x".repeat(998)}\r\n.\r\n`);
  assert.equal(ok.outcome?.kind, "complete");
  const long = decodeText(`${"x".repeat(999)}\r\n.\r\nNOOP\r\n`);
  assert.equal(long.outcome?.kind === "rejected" && long.outcome.reason, "line-too-long");
  assert.equal(long.outcome?.kind === "rejected" && long.outcome.reply.code, 550);
  assert.equal(long.rest, "NOOP\r\n");
  assert.equal(decodeText("abcd\r\n.\r\n", { maxLineLength: 5 }).outcome?.kind, "rejected");
  assert.equal(decodeText("abc\r\n.\r\n", { maxLineLength: 5 }).outcome?.kind, "complete");
});

Deno.test("DataDecoder stops emitting over the size limit and answers 552 5.3.4", () => {
  const exact = decodeText("123456789\r\n.\r\n", { maxMessageSize: 11 });
  assert.equal(exact.outcome?.kind, "complete");
  const over = decodeText("123456789\r\nmore\r\n.\r\nNOOP\r\n", { maxMessageSize: 11 });
  assert.equal(over.outcome?.kind === "rejected" && over.outcome.reply.code, 552);
  assert.equal(over.outcome?.kind === "rejected" && over.outcome.reply.enhanced, "5.3.4");
  assert.ok(over.body.length <= 11);
  assert.equal(over.rest, "NOOP\r\n");
});

Deno.test("DataDecoder handles a 35 MB message in large views without copying", () => {
  const line = encoder.encode(`${"m".repeat(76)}\r\n`);
  const block = new Uint8Array(line.length * 8192);
  for (let offset = 0; offset < block.length; offset += line.length) block.set(line, offset);
  const data = new DataDecoder({ maxMessageSize: 40_000_000 });
  let size = 0;
  let chunks = 0;
  for (let sent = 0; sent < 35_000_000; sent += block.length) {
    const step = data.decode(block);
    assert.equal(step.consumed, block.length);
    assert.equal(step.chunk?.buffer, block.buffer);
    size += step.chunk?.length ?? 0;
    chunks++;
  }
  const marker = encoder.encode(".\r\n");
  assert.deepEqual(data.decode(marker), { consumed: 1, chunk: undefined, outcome: undefined });
  const end = data.decode(marker.subarray(1));
  assert.deepEqual(end, { consumed: 2, chunk: undefined, outcome: { kind: "complete", size } });
  assert.equal(chunks, Math.ceil(35_000_000 / block.length));
});

Deno.test("dotStuff() stuffs leading dots and appends the end marker", () => {
  const wire = (text: string) => decoder.decode(dotStuff(encoder.encode(text)));
  assert.equal(wire(""), ".\r\n");
  assert.equal(wire("a\r\n"), "a\r\n.\r\n");
  assert.equal(wire("a"), "a\r\n.\r\n");
  assert.equal(wire(".\r\n.."), "..\r\n...\r\n.\r\n");
  assert.equal(wire("a\n.b\r\n"), "a\n.b\r\n.\r\n");
});

const crlfBody = fc.array(
  fc.oneof(
    fc.constantFrom(".", "..", "\r\n", "\r\n.", "\r\n.\r\n", "x", " "),
    fc.string({ maxLength: 20 }).map((text) => text.replace(/[\r\n]/g, "")),
  ),
  { maxLength: 30 },
).map((parts) => {
  const text = parts.join("");
  return text === "" || text.endsWith("\r\n") ? text : `${text}\r\n`;
});

Deno.test("dotStuff() then DataDecoder round-trips any CRLF body byte-exactly, split anywhere", () => {
  fc.assert(
    fc.property(crlfBody, fc.array(fc.nat(), { maxLength: 5 }), (text, cuts) => {
      const body = encoder.encode(text);
      const wire = dotStuff(body);
      const points = [...new Set(cuts.map((cut) => cut % (wire.length + 1)))].sort((a, b) => a - b);
      const chunks: Uint8Array[] = [];
      let last = 0;
      for (const point of [...points, wire.length]) {
        chunks.push(wire.subarray(last, point));
        last = point;
      }
      const result = decode(chunks);
      assert.deepEqual(result.body, body);
      assert.deepEqual(result.outcome, { kind: "complete", size: body.length });
      assert.equal(result.rest, "");
    }),
    { numRuns: 500 },
  );
});
