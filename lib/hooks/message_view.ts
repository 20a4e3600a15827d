import { binaryBytes, type HeaderField, HeaderFieldCollector } from "../smtp/mod.ts";
import type { MessageView } from "./types.ts";

/** Most octets of header section parsed into `MessageView.headers`. */
export const MAX_HEADER_SECTION_BYTES = 64 * 1024;

const decoder = new TextDecoder();

/**
 * Builds the `onData` view of a spooled message: reads its header section from a first
 * stream (stopping at the empty line), and opens a new stream for each `body()` and `raw()`.
 *
 * @param open Opens a new stream of the whole message as stored.
 * @param size The message's size in octets.
 *
 * @example Usage
 * ```ts
 * import { readMessageView } from "./message_view.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = new TextEncoder().encode("Subject: hi\r\n\r\nbody\r\n");
 * const view = await readMessageView(() => ReadableStream.from([bytes]), bytes.length);
 * assert.deepEqual(view.headers, [["Subject", "hi"]]);
 * assert.equal(await new Response(view.body()).text(), "body\r\n");
 * ```
 */
export async function readMessageView(
  open: () => ReadableStream<Uint8Array>,
  size: number,
): Promise<MessageView> {
  // Every field of the first 64 KiB; beyond them only the end of the header section is looked for.
  const collector = new HeaderFieldCollector("all", MAX_HEADER_SECTION_BYTES, { overflow: "skip" });
  let bodyStart = 0;
  const reader = open().getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) {
        collector.finish(); // a message without a body ends its header section here
        break;
      }
      const progress = collector.push(value);
      if (progress.kind === "end") {
        bodyStart += progress.bodyStart;
        break;
      }
      bodyStart += value.length;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return Object.freeze({
    headers: Object.freeze(collector.fields.map(viewField)),
    size,
    body: () => skip(open(), bodyStart),
    raw: open,
  });
}

/**
 * A field as hooks see it: `[name, value]`, UTF-8 decoded, the value unfolded (RFC 5322
 * §2.2.3: the CRLF before each folded line is removed) without white space at its ends or
 * at the end of each line.
 */
function viewField(field: HeaderField): readonly [string, string] {
  const [first, ...folds] = decoder.decode(binaryBytes(field.text)).split("\r\n");
  const colon = first.indexOf(":");
  let value = first.slice(colon + 1).trim();
  for (const fold of folds) value = `${value}${fold}`.trim();
  return Object.freeze([first.slice(0, colon).trimEnd(), value] as const);
}

/** `stream` without its first `count` octets. */
function skip(stream: ReadableStream<Uint8Array>, count: number): ReadableStream<Uint8Array> {
  let left = count;
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        if (left >= chunk.length) {
          left -= chunk.length;
          return;
        }
        controller.enqueue(left === 0 ? chunk : chunk.subarray(left));
        left = 0;
      },
    }),
  );
}
