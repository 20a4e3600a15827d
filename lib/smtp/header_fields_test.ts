import assert from "node:assert/strict";
import fc from "fast-check";
import { HeaderFieldCollector, type HeaderFieldCollectorOptions } from "./header_fields.ts";

const encoder = new TextEncoder();
const WANTED = new Set(["from", "subject"]);
const MESSAGE = "Received: from a\r\n\tby b\r\nFrom: A <a@example.test>\r\n" +
  "Subject: one\r\n two\r\nTo: b@example.org\r\nsubject : again\r\n\r\nFrom: body line\r\n";

interface Collected {
  collector: HeaderFieldCollector;
  bodyStart?: number;
  tooLarge?: true;
}

function collect(
  chunks: readonly Uint8Array[],
  maxBytes = 1000,
  wanted: ReadonlySet<string> | "all" = WANTED,
  options?: HeaderFieldCollectorOptions,
): Collected {
  const collector = new HeaderFieldCollector(wanted, maxBytes, options);
  let consumed = 0;
  for (const chunk of chunks) {
    const progress = collector.push(chunk);
    if (progress.kind === "end") return { collector, bodyStart: consumed + progress.bodyStart };
    if (progress.kind === "too-large") return { collector, tooLarge: true };
    consumed += chunk.length;
  }
  collector.finish();
  return { collector };
}

Deno.test("HeaderFieldCollector keeps the wanted fields, folds included, until the empty line", () => {
  const { collector, bodyStart } = collect([encoder.encode(MESSAGE)]);
  assert.deepEqual(collector.fields, [
    { name: "from", text: "From: A <a@example.test>" },
    { name: "subject", text: "Subject: one\r\n two" },
    { name: "subject", text: "subject : again" },
  ]);
  assert.equal(MESSAGE.slice(bodyStart), "From: body line\r\n");
});

Deno.test("HeaderFieldCollector gives the same fields for every split of the input", () => {
  const bytes = encoder.encode(MESSAGE);
  const whole = collect([bytes]);
  for (let split = 0; split <= bytes.length; split++) {
    const parts = collect([bytes.subarray(0, split), bytes.subarray(split)]);
    assert.deepEqual(parts.collector.fields, whole.collector.fields, `split at ${split}`);
    assert.equal(parts.bodyStart, whole.bodyStart, `split at ${split}`);
  }
});

Deno.test("HeaderFieldCollector.finish() ends a message without a body", () => {
  const { collector, bodyStart } = collect([encoder.encode("To: x@y\r\nFrom: a@b.test")]);
  assert.equal(bodyStart, undefined);
  assert.deepEqual(collector.fields, [{ name: "from", text: "From: a@b.test" }]);
});

Deno.test("HeaderFieldCollector reports too-large when kept fields exceed the budget", () => {
  const long = `Subject: ${"x".repeat(200)}\r\n`;
  assert.equal(collect([encoder.encode(long.repeat(5))], 500).tooLarge, true);
  const unwanted = `X-Other: ${"x".repeat(200)}\r\n`.repeat(50) + "From: a@b.test\r\n\r\n";
  assert.equal(collect([encoder.encode(unwanted)], 500).tooLarge, undefined);
  assert.equal(collect([encoder.encode("From: " + "x".repeat(600))], 500).tooLarge, true);
});

Deno.test('HeaderFieldCollector with "all" keeps every field and skips lines that are not fields', () => {
  const text =
    " stray fold\r\nA: 1\r\nno colon\r\n\tlost fold\r\n: no name\r\nB : 2\r\n\t3\r\n\r\nbody";
  const { collector, bodyStart } = collect([encoder.encode(text)], 1000, "all");
  assert.deepEqual(collector.fields, [
    { name: "a", text: "A: 1" },
    { name: "b", text: "B : 2\r\n\t3" },
  ]);
  assert.equal(text.slice(bodyStart), "body");
});

Deno.test('HeaderFieldCollector with overflow "skip" keeps the fields within the budget and finds the body', () => {
  const text = `A: 1\r\nB: 2\r\n ${"x".repeat(100)}\r\nC: 3\r\n\r\nbody`;
  const skip = { overflow: "skip" } as const;
  for (const size of [1, 7, text.length]) {
    const chunks = chunk(encoder.encode(text), size);
    const { collector, bodyStart, tooLarge } = collect(chunks, 50, "all", skip);
    // B's fold goes over the budget: B ends there, and C is not kept.
    assert.deepEqual(collector.fields, [{ name: "a", text: "A: 1" }, {
      name: "b",
      text: "B: 2",
    }]);
    assert.equal(text.slice(bodyStart), "body", `chunks of ${size}`);
    assert.equal(tooLarge, undefined);
  }
  const empty = collect([encoder.encode("A: 12\r\n\r\nbody")], 8, "all", skip);
  assert.equal(empty.bodyStart, 9, "the empty line ends the section even past the budget");
});

function chunk(bytes: Uint8Array, size: number): Uint8Array[] {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
  return parts;
}

/** Cuts `bytes` at the given points (taken modulo its length + 1). */
function cut(bytes: Uint8Array, points: readonly number[]): Uint8Array[] {
  const sorted = [...new Set(points.map((point) => point % (bytes.length + 1)))].sort((a, b) =>
    a - b
  );
  const parts: Uint8Array[] = [];
  let last = 0;
  for (const point of sorted) {
    parts.push(bytes.subarray(last, point));
    last = point;
  }
  parts.push(bytes.subarray(last));
  return parts;
}

const LINES = [
  "From: A <a@example.test>",
  "subject : hi ",
  "X-Other: yyyyyyyyyyyyyyyyyyyy",
  " folded",
  "\tfolded ",
  "no colon",
  ": no name",
  "",
  "\r",
  "Caf\u00e9: \u00e9t\u00e9",
];
/** Header-like messages (lines with CRLF, LF or no line break), or any octets. */
const message = fc.oneof(
  fc.array(fc.tuple(fc.constantFrom(...LINES), fc.constantFrom("\r\n", "\n", "")), {
    maxLength: 16,
  }).map((lines) => encoder.encode(lines.map(([line, end]) => line + end).join(""))),
  fc.uint8Array({ maxLength: 80 }),
);
const setup = fc.record({
  maxBytes: fc.constantFrom(8, 30, 60, 10_000),
  wanted: fc.constantFrom<ReadonlySet<string> | "all">("all", WANTED, new Set(["x-other"])),
  overflow: fc.constantFrom<"stop" | "skip">("stop", "skip"),
});

function outcome(collected: Collected) {
  const { collector, bodyStart, tooLarge } = collected;
  return { fields: [...collector.fields], bodyStart, tooLarge };
}

Deno.test("HeaderFieldCollector gives the same result wherever the chunks are cut (property)", () => {
  fc.assert(
    fc.property(message, fc.array(fc.nat(), { maxLength: 6 }), setup, (bytes, points, config) => {
      const { maxBytes, wanted, overflow } = config;
      const whole = collect([bytes], maxBytes, wanted, { overflow });
      const parts = collect(cut(bytes, points), maxBytes, wanted, { overflow });
      assert.deepEqual(outcome(parts), outcome(whole));
    }),
    { numRuns: 2000 },
  );
});

Deno.test('HeaderFieldCollector with overflow "skip" finds the body wherever an unbounded one does (property)', () => {
  fc.assert(
    fc.property(message, fc.array(fc.nat(), { maxLength: 6 }), setup, (bytes, points, config) => {
      const { maxBytes, wanted } = config;
      const chunks = cut(bytes, points);
      const bounded = collect(chunks, maxBytes, wanted, { overflow: "skip" });
      const unbounded = collect(chunks, Infinity, wanted);
      assert.equal(bounded.bodyStart, unbounded.bodyStart);
      assert.equal(bounded.tooLarge, undefined);
      const names = (collected: Collected) => collected.collector.fields.map((field) => field.name);
      assert.deepEqual(names(bounded), names(unbounded).slice(0, names(bounded).length));
    }),
    { numRuns: 2000 },
  );
});
