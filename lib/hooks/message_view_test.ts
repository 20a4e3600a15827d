import assert from "node:assert/strict";
import { MAX_HEADER_SECTION_BYTES, readMessageView } from "./message_view.ts";

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

Deno.test("readMessageView() keeps at most 64 KiB of header fields but still finds the body", async () => {
  const big = `X-Big: ${"x".repeat(MAX_HEADER_SECTION_BYTES)}\r\n`;
  const text = `A: 1\r\n${big}B: 2\r\n\r\nbody`;
  for (const size of [1, 1000, 100_000]) {
    const view = await readMessageView(chunked(text, size), text.length);
    assert.deepEqual(view.headers, [["A", "1"]], `chunks of ${size}`);
    assert.equal(await new Response(view.body()).text(), "body", `chunks of ${size}`);
  }
});

Deno.test("readMessageView() decodes UTF-8 and drops white space at the ends of folded lines", async () => {
  const text = "Subject: caf\u00e9 \r\n  d\u00e9j\u00e0\t\r\n\tvu\r\nx-lower :  v \r\n\r\n";
  for (const size of [1, 5, 1000]) {
    const view = await readMessageView(chunked(text, size), encoder.encode(text).length);
    assert.deepEqual(view.headers, [
      ["Subject", "caf\u00e9  d\u00e9j\u00e0\tvu"],
      ["x-lower", "v"],
    ], `chunks of ${size}`);
  }
});
