import assert from "node:assert/strict";
import { inspectMessage, MessageSyntaxError, normaliseLineBreaks } from "./_raw_message.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

Deno.test("normaliseLineBreaks() turns bare LF and bare CR into CRLF", () => {
  const normalise = (text: string) => decoder.decode(normaliseLineBreaks(encoder.encode(text)));
  assert.equal(normalise("a\nb\rc\r\nd\r\r\n\n\r"), "a\r\nb\r\nc\r\nd\r\n\r\n\r\n\r\n");
  const crlf = encoder.encode("a\r\nb\r\n");
  assert.equal(normaliseLineBreaks(crlf), crlf);
});

Deno.test("inspectMessage() lists header fields and notes 8-bit octets", () => {
  const facts = inspectMessage(
    encoder.encode("Subject: x\r\n folded\r\nDATE : y\r\n\r\nbody: café\r\n"),
  );
  assert.deepEqual([...facts.fields], ["subject", "date"]);
  assert.equal(facts.eightBit, true);
  assert.equal(inspectMessage(encoder.encode("A: b\r\n\r\n")).eightBit, false);
});

Deno.test("inspectMessage() rejects malformed messages", () => {
  for (
    const text of [
      "Subject: x\r\n",
      "Subject: x",
      "\r\nbody\r\n",
      " folded: x\r\n\r\n",
      "no colon\r\n\r\n",
      "X-É: z\r\n\r\n",
      "Subject: \0\r\n\r\n",
      `Subject: x\r\n\r\n${"a".repeat(999)}`,
    ]
  ) {
    assert.throws(() => inspectMessage(encoder.encode(text)), MessageSyntaxError, text);
  }
  assert.ok(inspectMessage(encoder.encode(`Subject: x\r\n\r\n${"a".repeat(998)}`)));
});
