import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fc from "fast-check";
import { RelaxedBodyHash, relaxedHeader } from "./_canonical.ts";

const encoder = new TextEncoder();

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("base64");
}

function bodyHash(parts: readonly string[]): string {
  const hash = new RelaxedBodyHash();
  for (const part of parts) hash.update(encoder.encode(part));
  return hash.digest();
}

Deno.test("relaxedHeader() follows the example of RFC 6376 §3.4.5", () => {
  assert.equal(relaxedHeader("A: X"), "a:X\r\n");
  assert.equal(relaxedHeader("B : Y\t\r\n\tZ  "), "b:Y Z\r\n");
});

Deno.test("relaxedHeader() unfolds, squeezes white space and keeps the value's case", () => {
  assert.equal(
    relaxedHeader("Subject:   Hello \t  World\r\n  again "),
    "subject:Hello World again\r\n",
  );
  assert.equal(relaxedHeader("X-Empty:"), "x-empty:\r\n");
  assert.equal(relaxedHeader("X-Empty:  \r\n\t"), "x-empty:\r\n");
});

Deno.test("RelaxedBodyHash follows the example of RFC 6376 §3.4.5", () => {
  assert.equal(bodyHash([" C \r\nD \t E\r\n\r\n\r\n"]), sha256(" C\r\nD E\r\n"));
});

Deno.test("RelaxedBodyHash of an empty or blank body is the hash of nothing", () => {
  const empty = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
  assert.equal(bodyHash([]), empty);
  assert.equal(bodyHash(["\r\n\r\n"]), empty);
  assert.equal(bodyHash([" \t\r\n  \r\n"]), empty);
});

Deno.test("RelaxedBodyHash adds a missing final CRLF and keeps inner empty lines", () => {
  assert.equal(bodyHash(["hello"]), sha256("hello\r\n"));
  assert.equal(bodyHash(["\r\na\r\n\r\n b  \r\n"]), sha256("\r\na\r\n\r\n b\r\n"));
  assert.equal(bodyHash(["a\rb \r\n"]), sha256("a\rb\r\n"));
  assert.equal(bodyHash(["a\r"]), sha256("a\r\r\n"));
});

Deno.test("RelaxedBodyHash gives the same hash however the body is split", () => {
  const line = fc.array(fc.constantFrom("a", "b", " ", "\t", "\r", "\n", "\r\n", "é"), {
    maxLength: 12,
  }).map((parts) => parts.join(""));
  fc.assert(
    fc.property(
      fc.array(line, { maxLength: 20 }).map((lines) => lines.join("\r\n")),
      fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 5 }),
      (body, sizes) => {
        const bytes = encoder.encode(body);
        const whole = new RelaxedBodyHash();
        whole.update(bytes);
        const split = new RelaxedBodyHash();
        for (let offset = 0, i = 0; offset < bytes.length; i++) {
          const size = sizes[i % sizes.length];
          split.update(bytes.subarray(offset, offset + size));
          offset += size;
        }
        assert.equal(split.digest(), whole.digest());
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("RelaxedBodyHash handles bodies larger than its block and long runs of empty lines", () => {
  const big = "x".repeat(40_000) + "\r\n" + "\r\n".repeat(30_000) + "y   \r\n";
  assert.equal(bodyHash([big]), sha256("x".repeat(40_000) + "\r\n".repeat(30_001) + "y\r\n"));
});
