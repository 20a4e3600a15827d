import assert from "node:assert/strict";
import fc from "fast-check";
import { concatBytes } from "./bytes.ts";
import { runSession } from "./testing.ts";
import type { SessionOptions } from "./session_event.ts";

const OPTIONS: SessionOptions = {
  hostname: "mx.example.test",
  maxMessageSize: 2000,
  maxCommandLength: 64,
  maxLineLength: 80,
  maxErrors: 50,
  starttls: true,
  auth: "optional",
  tls: false,
};
const TLS_OPTIONS: SessionOptions = { ...OPTIONS, tls: true, starttls: false };

const encoder = new TextEncoder();
const GREETING_LENGTH = "220 mx.example.test ESMTP Empath\r\n".length;

/** SMTP-ish tokens, smuggling fragments and noise, so that random streams reach deep states. */
const TOKENS = [
  "EHLO c\r\n",
  "HELO c\r\n",
  "MAIL FROM:<a@example.org>\r\n",
  "MAIL FROM:<> SIZE=10\r\n",
  "RCPT TO:<b@example.test>\r\n",
  "RCPT TO:<reject@example.test>\r\n",
  "DATA\r\n",
  "BDAT 3\r\n",
  "BDAT 0 LAST\r\n",
  "BDAT 5 LAST\r\n",
  "RSET\r\n",
  "NOOP\r\n",
  "STARTTLS\r\n",
  "AUTH PLAIN\r\n",
  "AUTH LOGIN\r\n",
  "AGFsaWNlAHNlY3JldA==\r\n",
  "*\r\n",
  "QUIT\r\n",
  ".\r\n",
  "..\r\n",
  "\r\n.\r\n",
  "\n.\r\n",
  "\r\n.\n",
  "\n.\n",
  "\r.\r",
  "\r",
  "\n",
  "\r\n",
  ".",
  "x".repeat(90),
  "\u00ff\u00fe",
];

const token = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...TOKENS).map((text) => encoder.encode(text)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 12 }) },
);
const stream = fc.array(token, { maxLength: 40 }).map((parts) => concatBytes(parts));

function cut(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((value) => value % (bytes.length + 1)))].sort((a, b) =>
    a - b
  );
  const chunks: Uint8Array[] = [];
  let last = 0;
  for (const point of [...points, bytes.length]) {
    chunks.push(bytes.subarray(last, point));
    last = point;
  }
  return chunks;
}

function crlfCount(bytes: Uint8Array): number {
  let count = 0;
  for (let index = 1; index < bytes.length; index++) {
    if (bytes[index - 1] === 13 && bytes[index] === 10) count++;
  }
  return count;
}

function replyCount(output: string): number {
  return output.slice(GREETING_LENGTH).match(/^\d{3} /gm)?.length ?? 0;
}

Deno.test("ServerSession never throws, answers at most once per line, and ignores how input is split", () => {
  fc.assert(
    fc.property(stream, fc.array(fc.nat(), { maxLength: 8 }), fc.boolean(), (bytes, cuts, tls) => {
      const options = tls ? TLS_OPTIONS : OPTIONS;
      const whole = runSession(options, [[bytes]]);
      const split = runSession(options, [cut(bytes, cuts)]);
      assert.equal(split.output, whole.output);
      assert.deepEqual(split.messages, whole.messages);
      assert.ok(replyCount(whole.output) <= crlfCount(bytes), whole.output);
    }),
    { numRuns: 400 },
  );
});

Deno.test("ServerSession ends one DATA section exactly once, at the real CRLF.CRLF", () => {
  const smuggling = fc.array(
    fc.oneof(
      fc.constantFrom(
        "\n.\r\n",
        "\r\n.\n",
        "\n.\n",
        "\r.\r",
        "\r\n..\r\n",
        "\r\n",
        ".",
        "\r",
        "\n",
        "DATA\r\n",
      ),
      fc.string({ maxLength: 10 }),
    ),
    { maxLength: 20 },
  ).map((parts) => parts.join("")).filter((body) => {
    const stream = `\r\n${body}\r\n.\r\n`;
    return stream.indexOf("\r\n.\r\n") === stream.length - 5;
  });
  const prefix = "EHLO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n";
  fc.assert(
    fc.property(smuggling, fc.array(fc.nat(), { maxLength: 6 }), (body, cuts) => {
      const bytes = encoder.encode(`${prefix}${body}\r\n.\r\nNOOP\r\n`);
      const run = runSession({ ...OPTIONS, maxMessageSize: 0, maxLineLength: 10_000 }, [
        cut(bytes, cuts),
      ]);
      const ends = run.events.filter((type) => type === "data-end" || type === "data-aborted");
      assert.equal(ends.length, 1);
      assert.ok(run.output.endsWith("250 2.0.0 Ok\r\n"), run.output);
      const bare = /\r(?!\n)|(?<!\r)\n/.test(`${body}\r\n`);
      assert.equal(ends[0], bare ? "data-aborted" : "data-end");
      if (!bare) {
        const unstuffed = `${body}\r\n`.replace(/^\./, "").replaceAll("\r\n.", "\r\n");
        assert.deepEqual(run.messages, [unstuffed]);
      }
    }),
    { numRuns: 400 },
  );
});

/** A small deterministic PRNG (xorshift32), so failures reproduce. */
function random(seed: number): () => number {
  let state = seed || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}

Deno.test("ServerSession survives random bytes in every phase (fuzz)", () => {
  const next = random(0x5eed);
  const prefixes = [
    "",
    "EHLO c\r\n",
    "EHLO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n",
    "EHLO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.test>\r\nBDAT 40\r\n",
    "EHLO c\r\nAUTH LOGIN\r\n",
  ];
  for (let iteration = 0; iteration < 300; iteration++) {
    const noise = Uint8Array.from({ length: Math.floor(next() * 300) }, () => {
      const roll = next();
      return roll < 0.1 ? 13 : roll < 0.2 ? 10 : roll < 0.25 ? 46 : Math.floor(next() * 256);
    });
    const prefix = encoder.encode(prefixes[iteration % prefixes.length]);
    const bytes = new Uint8Array(prefix.length + noise.length);
    bytes.set(prefix);
    bytes.set(noise, prefix.length);
    const cuts = Array.from({ length: 4 }, () => Math.floor(next() * bytes.length));
    const options = iteration % 2 === 0 ? OPTIONS : TLS_OPTIONS;
    const whole = runSession(options, [[bytes]]);
    const split = runSession(options, [cut(bytes, cuts)]);
    assert.equal(split.output, whole.output, `iteration ${iteration}`);
    assert.ok(replyCount(whole.output) <= crlfCount(bytes), `iteration ${iteration}`);
  }
});
