/**
 * Finds the end of a message's header section (RFC 5322 §2.1) in a byte stream
 * split anywhere, and keeps the header fields a caller asks for (and only those),
 * within a byte budget: the fields a DKIM signature covers, `traceparent`,
 * `X-Priority`; or every field, for the hooks' message view. Pure: no I/O.
 *
 * @module
 */
import { binaryBytes, binaryString, concatBytes } from "./bytes.ts";

const SP = 0x20;
const HTAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
/** Longer field names are not looked up (RFC 5322 names are short; 998 is the line limit). */
const MAX_NAME_BYTES = 998;

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

/** Options of {@linkcode HeaderFieldCollector}. */
export interface HeaderFieldCollectorOptions {
  /**
   * What a line that would take the kept fields over `maxBytes` does: `"stop"` reports
   * `too-large` (the caller gives up on the header section); `"skip"` ends the field being
   * kept and keeps no more, but still finds where the body starts, without holding the
   * lines it skips.
   *
   * @default {"stop"}
   */
  readonly overflow?: "stop" | "skip";
}

/**
 * Collects header fields from a message given in chunks split anywhere, until the
 * empty line that ends the header section (RFC 5322 §2.1): the fields named in `wanted`
 * (lowercased names), or every field with `"all"`. A field is a line with a colon after a
 * name, with the lines folded after it (RFC 5322 §2.2.3); other lines are skipped, and so
 * are fields not wanted, looked at as bytes: only the lines of kept fields become strings.
 * `maxBytes` bounds the kept fields plus the line being read; see
 * {@linkcode HeaderFieldCollectorOptions.overflow} for what happens beyond it.
 *
 * @example Usage
 * ```ts
 * import { HeaderFieldCollector } from "./header_fields.ts";
 * import assert from "node:assert/strict";
 *
 * const collector = new HeaderFieldCollector(new Set(["subject"]), 1024);
 * const bytes = new TextEncoder().encode("To: b@example.org\r\nSubject: hi\r\n\r\nbody");
 * assert.deepEqual(collector.push(bytes), { kind: "end", bodyStart: 34 });
 * assert.deepEqual(collector.fields, [{ name: "subject", text: "Subject: hi" }]);
 * ```
 */
export class HeaderFieldCollector {
  readonly #wanted: ReadonlySet<string> | "all";
  readonly #maxBytes: number;
  readonly #overflow: "stop" | "skip";
  readonly #fields: HeaderField[] = [];
  #keptBytes = 0;
  /** The pieces of the line being read, while lines are kept. */
  #partial: Uint8Array[] = [];
  /** Length and first octet of the line being read, kept or not. */
  #lineBytes = 0;
  #lineFirst = 0;
  /** False once `"skip"` went over the budget: from there on, the end is all that is looked for. */
  #keeping = true;
  /** The field being read, when it is kept. */
  #current: { name: string; lines: string[] } | undefined;

  /**
   * @param wanted Lowercased names of the fields to keep, or `"all"`.
   * @param maxBytes Most octets held: the kept fields plus the line being read.
   * @param options What happens beyond `maxBytes`.
   */
  constructor(
    wanted: ReadonlySet<string> | "all",
    maxBytes: number,
    options: HeaderFieldCollectorOptions = {},
  ) {
    this.#wanted = wanted;
    this.#maxBytes = maxBytes;
    this.#overflow = options.overflow ?? "stop";
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
      if (this.#lineBytes === 0) this.#lineFirst = chunk[start];
      this.#lineBytes += end - start;
      if (this.#keeping) {
        if (this.#keptBytes + this.#lineBytes <= this.#maxBytes) {
          this.#partial.push(chunk.subarray(start, end));
        } else if (this.#overflow === "stop") {
          return { kind: "too-large" };
        } else {
          this.#stopKeeping();
        }
      }
      start = end;
      if (lf < 0) break;
      if (this.#endLine()) return { kind: "end", bodyStart: start };
    }
    return { kind: "more" };
  }

  /** Ends a message that has no body: the last line read so far is a field too. */
  finish(): void {
    if (this.#lineBytes > 0 && this.#keeping) this.#line(this.#takeLine());
    this.#lineBytes = 0;
    this.#endField();
  }

  /** Ends the line just read (up to its LF); true when it is the empty line. */
  #endLine(): boolean {
    const isEmpty = this.#lineBytes === 1 || (this.#lineBytes === 2 && this.#lineFirst === CR);
    const line = this.#keeping ? this.#takeLine() : undefined;
    this.#lineBytes = 0;
    if (isEmpty) {
      this.#endField();
      return true;
    }
    if (line !== undefined) this.#line(line);
    return false;
  }

  #takeLine(): Uint8Array {
    const line = this.#partial.length === 1 ? this.#partial[0] : concatBytes(this.#partial);
    this.#partial = [];
    return line;
  }

  #stopKeeping(): void {
    this.#keeping = false;
    this.#partial = [];
    this.#endField();
  }

  /**
   * Handles one line that is not empty (with its line break, if any). Only the lines of kept
   * fields become strings: the others are looked at as bytes.
   */
  #line(line: Uint8Array): void {
    let length = line.length;
    if (length > 0 && line[length - 1] === LF) {
      length--;
      if (length > 0 && line[length - 1] === CR) length--;
    }
    const first = line[0];
    if (first === SP || first === HTAB) {
      if (this.#current) {
        this.#current.lines.push(binaryString(line.subarray(0, length)));
        this.#keptBytes += line.length;
      }
      return;
    }
    this.#endField();
    const colon = line.subarray(0, length).indexOf(COLON);
    const all = this.#wanted === "all";
    if (colon <= 0 || (!all && colon > MAX_NAME_BYTES)) return;
    const name = binaryString(line.subarray(0, colon)).trimEnd().toLowerCase();
    if (all || this.#wanted.has(name)) {
      this.#current = { name, lines: [binaryString(line.subarray(0, length))] };
      this.#keptBytes += line.length;
    }
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
 * Collects the fields named in `wanted` (or `"all"`) from a whole header section given as
 * text, with a {@linkcode HeaderFieldCollector} that stops at `maxBytes`.
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
  wanted: ReadonlySet<string> | "all",
  maxBytes = 64 * 1024,
): readonly HeaderField[] {
  const collector = new HeaderFieldCollector(wanted, maxBytes);
  if (collector.push(binaryBytes(message)).kind === "more") collector.finish();
  return collector.fields;
}
