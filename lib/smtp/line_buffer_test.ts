import assert from "node:assert/strict";
import fc from "fast-check";
import { LineBuffer, type LineResult } from "./line_buffer.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Feeds `chunks` and returns every line result, as text or kind. */
function lines(chunks: string[], maxLength?: number): string[] {
  const buffer = new LineBuffer({ maxLength });
  const results: string[] = [];
  for (const chunk of chunks) {
    let input = encoder.encode(chunk);
    while (input.length > 0) {
      const { consumed, line } = buffer.read(input);
      assert.ok(consumed > 0);
      input = input.subarray(consumed);
      if (line !== undefined) results.push(describe(line));
    }
  }
  return results;
}

function describe(line: LineResult): string {
  return line.kind === "line" ? decoder.decode(line.bytes) : `<${line.kind}>`;
}

Deno.test("LineBuffer.read() returns one CRLF line per call and says how much it consumed", () => {
  const buffer = new LineBuffer();
  const input = encoder.encode("EHLO a\r\nNOOP\r\npartial");
  const first = buffer.read(input);
  assert.equal(first.consumed, 8);
  assert.equal(first.line && describe(first.line), "EHLO a");
  assert.equal(first.line?.kind === "line" && first.line.bytes.buffer, input.buffer); // a view, no copy
  const second = buffer.read(input.subarray(8));
  assert.equal(second.consumed, 6);
  assert.deepEqual(buffer.read(input.subarray(14)), { consumed: 7, line: undefined });
  assert.deepEqual(buffer.read(new Uint8Array(0)), { consumed: 0, line: undefined });
});

Deno.test("LineBuffer joins lines split anywhere, including between CR and LF", () => {
  assert.deepEqual(lines(["NO", "OP\r", "\nQU", "IT\r\n"]), ["NOOP", "QUIT"]);
  assert.deepEqual(lines(["\r", "\n"]), [""]);
});

Deno.test("LineBuffer reports bare LF and bare CR, and ends lines only at CRLF", () => {
  assert.deepEqual(lines(["a\nb\r\nc\r\n"]), ["<bare-line-ending>", "c"]);
  assert.deepEqual(lines(["a\rb\r\n"]), ["<bare-line-ending>"]);
  assert.deepEqual(lines(["a\r", "b\r\n"]), ["<bare-line-ending>"]);
  assert.deepEqual(lines(["a\r\r\n", "ok\r\n"]), ["<bare-line-ending>", "ok"]);
  assert.deepEqual(lines(["\n\r\n"]), ["<bare-line-ending>"]);
});

Deno.test("LineBuffer limits lines to maxLength octets including CRLF", () => {
  assert.deepEqual(lines([`${"x".repeat(510)}\r\n`]), ["x".repeat(510)]);
  assert.deepEqual(lines([`${"x".repeat(511)}\r\nok\r\n`]), ["<too-long>", "ok"]);
  assert.deepEqual(lines(["abc", "de\r\n"], 6), ["<too-long>"]);
  assert.deepEqual(lines(["abc", "d\r\n"], 6), ["abcd"]);
  const buffer = new LineBuffer({ maxLength: 6 });
  assert.equal(buffer.read(encoder.encode("abcdefgh\r\n"), 20).line?.kind, "line");
});

Deno.test("LineBuffer discards an overlong line without buffering it", () => {
  const buffer = new LineBuffer({ maxLength: 100 });
  const chunk = encoder.encode("y".repeat(1 << 16));
  for (let i = 0; i < 64; i++) assert.equal(buffer.read(chunk).line, undefined);
  assert.deepEqual(buffer.read(encoder.encode("\r\n")), {
    consumed: 2,
    line: { kind: "too-long" },
  });
});

Deno.test("LineBuffer gives the same lines for any split of the input", () => {
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom("a", "b", "\r", "\n", "\r\n", "\r\n", "zz"), { maxLength: 40 }),
      fc.array(fc.nat(), { maxLength: 6 }),
      (parts, cuts) => {
        const text = parts.join("");
        const points = [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort((a, b) =>
          a - b
        );
        const chunks: string[] = [];
        let last = 0;
        for (const point of [...points, text.length]) {
          chunks.push(text.slice(last, point));
          last = point;
        }
        assert.deepEqual(lines(chunks, 10), lines([text], 10));
      },
    ),
    { numRuns: 300 },
  );
});
