import assert from "node:assert/strict";
import fc from "fast-check";
import { ReplyParser, type ReplyParseResult } from "./reply_parser.ts";

const encoder = new TextEncoder();

function parseAll(chunks: readonly Uint8Array[], options = {}): ReplyParseResult[] {
  const parser = new ReplyParser(options);
  const results: ReplyParseResult[] = [];
  for (const chunk of chunks) {
    parser.receive(chunk);
    for (let result = parser.next(); result !== undefined; result = parser.next()) {
      results.push(result);
      if (result.kind === "protocol-error") return results;
    }
  }
  return results;
}

Deno.test("ReplyParser parses multi-line replies and enhanced codes, split at every byte", () => {
  const input = encoder.encode(
    "250-mx.example.org\r\n250-PIPELINING\r\n250 SIZE 10\r\n" +
      "550-5.1.1 No such\r\n550 5.1.1 user here\r\n354\r\n221 2.0.0\n",
  );
  const expected: ReplyParseResult[] = [
    { kind: "reply", reply: { code: 250, lines: ["mx.example.org", "PIPELINING", "SIZE 10"] } },
    { kind: "reply", reply: { code: 550, enhanced: "5.1.1", lines: ["No such", "user here"] } },
    { kind: "reply", reply: { code: 354, lines: [""] } },
    { kind: "reply", reply: { code: 221, enhanced: "2.0.0", lines: [""] } },
  ];
  assert.deepEqual(parseAll([input]), expected);
  for (let split = 1; split < input.length; split++) {
    assert.deepEqual(parseAll([input.subarray(0, split), input.subarray(split)]), expected);
  }
});

Deno.test("ReplyParser ignores an enhanced code of another class", () => {
  const [result] = parseAll([encoder.encode("250 5.1.1 odd\r\n")]);
  assert.deepEqual(result, { kind: "reply", reply: { code: 250, lines: ["5.1.1 odd"] } });
});

Deno.test("ReplyParser reports garbage, code changes and overlong input as protocol errors", () => {
  for (
    const input of [
      "HTTP/1.1 200 OK\r\n",
      "250-a\r\n251 b\r\n",
      "199 too low\r\n",
      "25\r\n",
      "x".repeat(2000),
      "250-x\r\n".repeat(101),
    ]
  ) {
    const results = parseAll([encoder.encode(input)]);
    assert.equal(results.at(-1)?.kind, "protocol-error", input.slice(0, 20));
  }
});

Deno.test("ReplyParser keeps returning the protocol error", () => {
  const parser = new ReplyParser();
  parser.receive(encoder.encode("bad\r\n250 ok\r\n"));
  assert.equal(parser.next()?.kind, "protocol-error");
  assert.equal(parser.next()?.kind, "protocol-error");
});

Deno.test("ReplyParser never throws on random bytes", () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 5 }), (chunks) => {
      parseAll(chunks, { maxLineLength: 100, maxLines: 3 });
    }),
  );
});
