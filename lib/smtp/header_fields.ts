/**
 * Finds the end of a message's header section (RFC 5322 §2.1) in a byte stream
 * split anywhere, and keeps the header fields a caller asks for (and only those),
 * within a byte budget: the fields a DKIM signature covers, `traceparent`,
 * `X-Priority`. Pure: no I/O.
 *
 * @module
 */

const SP = 0x20;
const HTAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
/** Longer field names are not looked up (RFC 5322 names are short; 998 is the line limit). */
const MAX_NAME_BYTES = 998;

function concat(pieces: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const piece of pieces) length += piece.length;
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const piece of pieces) {
    bytes.set(piece, offset);
    offset += piece.length;
  }
  return bytes;
}
const COLON = 0x3a;

/** One kept header field. */
export interface HeaderField {
  /** Lowercased field name. */
  readonly name: string;
  /** The whole field as a binary string (one character per octet), folds kept, no final CRLF. */
  readonly text: string;
}

/** What {@linkcode HeaderFieldCollector.push} found. */
export type HeaderProgress =
  | { kind: "more" }
  | { kind: "end"; bodyStart: number }
  | { kind: "too-large" };

/**
 * Collects the header fields named in `wanted` from a message given in chunks
 * split anywhere, until the empty line that ends the header section (RFC 5322
 * §2.1). Other fields are skipped without being kept. When the kept fields plus
 * the line being read would exceed `maxBytes`, it reports `too-large` and stops.
 */
export class HeaderFieldCollector {
  readonly #wanted: ReadonlySet<string>;
  readonly #maxBytes: number;
  readonly #fields: HeaderField[] = [];
  #keptBytes = 0;
  #partial: Uint8Array[] = [];
  #partialBytes = 0;
  /** The field being read, when it is kept. */
  #current: { name: string; lines: string[] } | undefined;

  constructor(wanted: ReadonlySet<string>, maxBytes: number) {
    this.#wanted = wanted;
    this.#maxBytes = maxBytes;
  }

  /** The kept fields in message order (complete once `push` returned `end` or `finish` ran). */
  get fields(): readonly HeaderField[] {
    return this.#fields;
  }

  /** Reads header octets; on `end`, `bodyStart` is where the body begins in `chunk`. */
  push(chunk: Uint8Array): HeaderProgress {
    let start = 0;
    while (start < chunk.length) {
      const lf = chunk.indexOf(LF, start);
      const end = lf < 0 ? chunk.length : lf + 1;
      this.#partial.push(chunk.subarray(start, end));
      this.#partialBytes += end - start;
      start = end;
      if (this.#keptBytes + this.#partialBytes > this.#maxBytes) return { kind: "too-large" };
      if (lf < 0) break;
      if (this.#line(this.#takeLine())) return { kind: "end", bodyStart: start };
    }
    return { kind: "more" };
  }

  /** Ends a message that has no body: the last line read so far is a field too. */
  finish(): void {
    if (this.#partialBytes > 0) this.#line(this.#takeLine());
    this.#endField();
  }

  #takeLine(): Uint8Array {
    const line = this.#partial.length === 1 ? this.#partial[0] : concat(this.#partial);
    this.#partial = [];
    this.#partialBytes = 0;
    return line;
  }

  /**
   * Handles one line (with its line break, if any); true when it ends the header section. Only
   * the lines of kept fields become strings: the others are looked at as bytes.
   */
  #line(line: Uint8Array): boolean {
    let length = line.length;
    if (length > 0 && line[length - 1] === LF) {
      length--;
      if (length > 0 && line[length - 1] === CR) length--;
    }
    if (length === 0) {
      this.#endField();
      return true;
    }
    const first = line[0];
    if (first === SP || first === HTAB) {
      if (this.#current) {
        this.#current.lines.push(binaryString(line.subarray(0, length)));
        this.#keptBytes += line.length;
      }
      return false;
    }
    this.#endField();
    const colon = line.subarray(0, length).indexOf(COLON);
    if (colon < 0 || colon > MAX_NAME_BYTES) return false;
    const name = binaryString(line.subarray(0, colon)).trimEnd().toLowerCase();
    if (this.#wanted.has(name)) {
      this.#current = { name, lines: [binaryString(line.subarray(0, length))] };
      this.#keptBytes += line.length;
    }
    return false;
  }

  #endField(): void {
    if (this.#current === undefined) return;
    this.#fields.push({ name: this.#current.name, text: this.#current.lines.join("\r\n") });
    this.#current = undefined;
  }
}

/**
 * The value of a kept field: after the colon, unfolded (RFC 5322 §2.2.3), trimmed.
 *
 * @example Usage
 * ```ts
 * import { fieldValue } from "./header_fields.ts";
 * import assert from "node:assert/strict";
 * assert.equal(fieldValue({ name: "subject", text: "Subject: a\r\n b" }), "a b");
 * ```
 */
export function fieldValue(field: HeaderField): string {
  const colon = field.text.indexOf(":");
  return field.text.slice(colon + 1).replace(/\r?\n(?=[ \t])/g, "").trim();
}

/**
 * Collects the fields named in `wanted` from a whole header section given as text.
 *
 * @example Usage
 * ```ts
 * import { collectHeaderFields, fieldValue } from "./header_fields.ts";
 * import assert from "node:assert/strict";
 * const [field] = collectHeaderFields("X-Priority: 1\r\n\r\nbody", new Set(["x-priority"]));
 * assert.equal(fieldValue(field), "1");
 * ```
 */
export function collectHeaderFields(
  message: string,
  wanted: ReadonlySet<string>,
  maxBytes = 64 * 1024,
): readonly HeaderField[] {
  const collector = new HeaderFieldCollector(wanted, maxBytes);
  if (collector.push(binaryBytes(message)).kind === "more") collector.finish();
  return collector.fields;
}

/** Octets as a string of one character per octet (ISO 8859-1), so nothing is lost. */
export function binaryString(bytes: Uint8Array): string {
  let text = "";
  for (let start = 0; start < bytes.length; start += 8192) {
    text += String.fromCharCode(...bytes.subarray(start, start + 8192));
  }
  return text;
}

/** The inverse of {@linkcode binaryString}. */
export function binaryBytes(text: string): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
