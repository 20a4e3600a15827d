import assert from "node:assert/strict";
import { binaryBytes, binaryString, HeaderFieldCollector } from "./header_fields.ts";

const encoder = new TextEncoder();
const WANTED = new Set(["from", "subject"]);
const MESSAGE = "Received: from a\r\n\tby b\r\nFrom: A <a@example.test>\r\n" +
  "Subject: one\r\n two\r\nTo: b@example.org\r\nsubject : again\r\n\r\nFrom: body line\r\n";

function collect(chunks: readonly Uint8Array[], maxBytes = 1000) {
  const collector = new HeaderFieldCollector(WANTED, maxBytes);
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

Deno.test("binaryString() and binaryBytes() keep every octet", () => {
  const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
  assert.deepEqual(binaryBytes(binaryString(bytes)), bytes);
});
