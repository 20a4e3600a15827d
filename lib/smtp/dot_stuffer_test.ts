import assert from "node:assert/strict";
import fc from "fast-check";
import { concatBytes } from "./bytes.ts";
import { DataDecoder } from "./data_decoder.ts";
import { DotStuffer } from "./dot_stuffer.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function stuffAll(chunks: readonly Uint8Array[]): Uint8Array {
  const stuffer = new DotStuffer();
  return concatBytes([...chunks.map((chunk) => stuffer.stuff(chunk)), stuffer.finish()]);
}

/** What a receiver gets back: the DataDecoder's output, or its rejection. */
function receive(wire: Uint8Array): string {
  const data = new DataDecoder({ maxLineLength: 1_000_000 });
  let offset = 0;
  let body = "";
  while (offset < wire.length) {
    const step = data.decode(wire.subarray(offset));
    offset += step.consumed;
    if (step.chunk) body += decoder.decode(step.chunk, { stream: true });
    if (step.outcome) {
      assert.equal(step.outcome.kind, "complete");
      assert.equal(offset, wire.length, "the end marker is the last thing sent");
      return body;
    }
  }
  throw new Error("no end marker");
}

/** CRLF-normalises: every CR LF, bare CR and bare LF becomes CRLF; a final CRLF is added. */
function normalise(body: string): string {
  const lines = body.replace(/\r\n|\r|\n/g, "\n");
  const text = lines.replaceAll("\n", "\r\n");
  return text === "" || text.endsWith("\r\n") ? text : `${text}\r\n`;
}

Deno.test("DotStuffer doubles leading dots and normalises line endings", () => {
  const wire = stuffAll([encoder.encode(".a\n.\r\nb\rc\r"), encoder.encode("\n..d")]);
  assert.equal(decoder.decode(wire), "..a\r\n..\r\nb\r\nc\r\n...d\r\n.\r\n");
});

Deno.test("DotStuffer handles CRLF and dots split across chunks", () => {
  const wire = stuffAll([encoder.encode("a\r"), encoder.encode("\n"), encoder.encode(".b\r\n")]);
  assert.equal(decoder.decode(wire), "a\r\n..b\r\n.\r\n");
});

Deno.test("DotStuffer.finish() sends only the end marker for an empty body", () => {
  assert.equal(decoder.decode(stuffAll([])), ".\r\n");
  assert.equal(decoder.decode(stuffAll([new Uint8Array(0)])), ".\r\n");
});

Deno.test("DotStuffer refuses use after finish()", () => {
  const stuffer = new DotStuffer();
  stuffer.finish();
  assert.throws(() => stuffer.stuff(new Uint8Array(1)), TypeError);
  assert.throws(() => stuffer.finish(), TypeError);
});

Deno.test("DotStuffer output decodes to the CRLF-normalised body for any split", () => {
  const alphabet = fc.constantFrom("a", ".", "\r", "\n", "é", " ");
  fc.assert(
    fc.property(
      fc.array(alphabet, { maxLength: 60 }).map((chars) => chars.join("")),
      fc.array(fc.nat(), { maxLength: 6 }),
      (body, cuts) => {
        const bytes = encoder.encode(body);
        const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) =>
          a - b
        );
        const chunks: Uint8Array[] = [];
        let start = 0;
        for (const point of [...points, bytes.length]) {
          chunks.push(bytes.subarray(start, point));
          start = point;
        }
        assert.equal(receive(stuffAll(chunks)), normalise(body));
      },
    ),
    { numRuns: 2000 },
  );
});
