import assert from "node:assert/strict";
import { HeaderScanner, MAX_HEADER_SECTION_BYTES, readMessageView } from "./message_view.ts";

const encoder = new TextEncoder();

function chunked(text: string, size: number): () => ReadableStream<Uint8Array> {
  const bytes = encoder.encode(text);
  return () => {
    const parts: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += size) parts.push(bytes.slice(i, i + size));
    return ReadableStream.from(parts);
  };
}

const MESSAGE = "Received: from c (c [192.0.2.1])\r\n\tby mx; Thu, 1 Jan 2025 00:00:00 +0000\r\n" +
  "Subject: =?UTF-8?Q?hi?=\r\nFrom: a@example.org\r\n\r\nline one\r\n\r\nline two\r\n";

Deno.test("readMessageView() parses unfolded header fields and streams the body, split anywhere", async () => {
  for (const size of [1, 2, 3, 7, 64, 100_000]) {
    const open = chunked(MESSAGE, size);
    const view = await readMessageView(open, MESSAGE.length);
    assert.deepEqual(view.headers, [
      ["Received", "from c (c [192.0.2.1])\tby mx; Thu, 1 Jan 2025 00:00:00 +0000"],
      ["Subject", "=?UTF-8?Q?hi?="],
      ["From", "a@example.org"],
    ], `chunks of ${size}`);
    assert.equal(await new Response(view.body()).text(), "line one\r\n\r\nline two\r\n");
    assert.equal(await new Response(view.raw()).text(), MESSAGE);
    assert.ok(Object.isFrozen(view.headers) && Object.isFrozen(view.headers[0]));
  }
});

Deno.test("readMessageView() handles a message without a body or without an empty line", async () => {
  const noBody = await readMessageView(chunked("Subject: x\r\n", 4), 12);
  assert.deepEqual(noBody.headers, [["Subject", "x"]]);
  assert.equal(await new Response(noBody.body()).text(), "");
  const empty = await readMessageView(chunked("", 4), 0);
  assert.deepEqual(empty.headers, []);
});

Deno.test("HeaderScanner keeps at most 64 KiB of fields but still finds the body", () => {
  const scanner = new HeaderScanner();
  const big = `X-Big: ${"x".repeat(MAX_HEADER_SECTION_BYTES)}\r\n`;
  const text = `A: 1\r\n${big}B: 2\r\n\r\nbody`;
  assert.equal(scanner.push(encoder.encode(text)), true);
  assert.deepEqual(scanner.fields, [["A", "1"]]);
  assert.equal(scanner.bodyStart, text.length - 4);
});
