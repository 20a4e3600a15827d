import type { MessageView } from "./types.ts";

/** Most octets of header section parsed into `MessageView.headers`. */
export const MAX_HEADER_SECTION_BYTES = 64 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const decoder = new TextDecoder();

/**
 * Scans a message given in chunks split anywhere for its header section (RFC 5322 §2.1):
 * collects the fields of the first {@linkcode MAX_HEADER_SECTION_BYTES} octets and finds
 * where the body starts, holding one line at a time (lines beyond the limit are not kept).
 */
export class HeaderScanner {
  readonly #fields: [string, string][] = [];
  #line: Uint8Array[] = [];
  #lineBytes = 0;
  #lineFirst: number | undefined;
  #offset = 0;
  #bodyStart: number | undefined;

  /** The fields found, `[name, unfolded value]`. */
  get fields(): readonly (readonly [string, string])[] {
    return this.#fields;
  }

  /** Where the body starts, once the empty line was seen. */
  get bodyStart(): number | undefined {
    return this.#bodyStart;
  }

  /** Reads more octets; returns true once the header section has ended. */
  push(chunk: Uint8Array): boolean {
    let start = 0;
    while (this.#bodyStart === undefined && start < chunk.length) {
      const lf = chunk.indexOf(LF, start);
      const end = lf < 0 ? chunk.length : lf + 1;
      if (this.#lineBytes === 0) this.#lineFirst = chunk[start];
      if (this.#offset + this.#lineBytes + end - start <= MAX_HEADER_SECTION_BYTES) {
        this.#line.push(chunk.subarray(start, end));
      }
      this.#lineBytes += end - start;
      start = end;
      if (lf >= 0) this.#endLine();
    }
    return this.#bodyStart !== undefined;
  }

  /** The stream ended: a message without a body ends its header section here. */
  finish(): void {
    if (this.#bodyStart !== undefined) return;
    if (this.#lineBytes > 0) this.#endLine();
    this.#bodyStart = this.#offset;
  }

  #endLine(): void {
    const isEmpty = this.#lineBytes === 1 || (this.#lineBytes === 2 && this.#lineFirst === CR);
    // Beyond the limit lines are not kept: only the end of the section is looked for.
    const bytes = this.#offset + this.#lineBytes <= MAX_HEADER_SECTION_BYTES
      ? concat(this.#line)
      : undefined;
    this.#offset += this.#lineBytes;
    this.#line = [];
    this.#lineBytes = 0;
    if (isEmpty) {
      this.#bodyStart = this.#offset;
      return;
    }
    if (bytes === undefined) return;
    let length = bytes.length;
    if (length > 0 && bytes[length - 1] === LF) length--;
    if (length > 0 && bytes[length - 1] === CR) length--;
    const text = decoder.decode(bytes.subarray(0, length));
    const last = this.#fields.at(-1);
    if ((text.startsWith(" ") || text.startsWith("\t")) && last !== undefined) {
      last[1] = `${last[1]}${text}`.trim(); // RFC 5322 §2.2.3: unfolding removes the CRLF
      return;
    }
    const colon = text.indexOf(":");
    if (colon > 0) {
      this.#fields.push([text.slice(0, colon).trimEnd(), text.slice(colon + 1).trim()]);
    }
  }
}

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
  const scanner = new HeaderScanner();
  const reader = open().getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) {
        scanner.finish();
        break;
      }
      if (scanner.push(value)) break;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const bodyStart = scanner.bodyStart ?? size;
  return Object.freeze({
    headers: Object.freeze(scanner.fields.map((field) => Object.freeze([...field] as const))),
    size,
    body: () => skip(open(), bodyStart),
    raw: open,
  });
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

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const all = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  return all;
}
