/**
 * An incremental parser of SMTP server replies, for the client side.
 *
 * @module
 */
import type { Reply } from "./reply.ts";

/** One parsed reply, or why the input is not a reply. */
export type ReplyParseResult =
  | { readonly kind: "reply"; readonly reply: Reply }
  | { readonly kind: "protocol-error"; readonly reason: string };

/** Options of {@link ReplyParser}. */
export interface ReplyParserOptions {
  /** The longest reply line accepted, in octets including CRLF. @default {1000} */
  maxLineLength?: number;
  /** The most lines one multi-line reply may have. @default {100} */
  maxLines?: number;
}

const CR = 13;
const LF = 10;
const LINE_REGEXP = /^([2-5]\d\d)(?:([ -])(.*))?$/s;
const ENHANCED_REGEXP = /^([245])\.(\d{1,3})\.(\d{1,3})(?: |$)/;

/**
 * Parses replies (RFC 5321 §4.2) from bytes as they arrive: `250-first`,
 * `250 last` make one {@link Reply}; an RFC 3463 enhanced status code at the
 * start of the text, of the same class as the reply code, is taken out of
 * every line into `enhanced`.
 *
 * Lines end at LF (a CR before it is dropped), are bounded in length, and a
 * reply is bounded in lines, so memory stays bounded whatever the peer sends.
 * Each byte is looked at once. Garbage never throws: it yields a
 * `protocol-error` result, after which the parser keeps returning it (the
 * connection cannot be trusted any more).
 *
 * @example
 * ```ts
 * import { ReplyParser } from "./reply_parser.ts";
 * import assert from "node:assert/strict";
 * const parser = new ReplyParser();
 * parser.receive(new TextEncoder().encode("250-mx.example\r\n250 2.0.0 Ok\r\n"));
 * assert.deepEqual(parser.next(), {
 *   kind: "reply",
 *   reply: { code: 250, lines: ["mx.example", "2.0.0 Ok"] },
 * });
 * assert.equal(parser.next(), undefined);
 * ```
 */
export class ReplyParser {
  readonly #maxLineLength: number;
  readonly #maxLines: number;
  readonly #decoder = new TextDecoder();
  #partial: Uint8Array;
  #length = 0;
  #lines: string[] = [];
  #code = 0;
  #results: ReplyParseResult[] = [];
  #error: ReplyParseResult | undefined;

  /**
   * Creates a parser.
   *
   * @param options Line length and line count limits.
   */
  constructor(options: ReplyParserOptions = {}) {
    this.#maxLineLength = options.maxLineLength ?? 1000;
    this.#maxLines = options.maxLines ?? 100;
    this.#partial = new Uint8Array(this.#maxLineLength);
  }

  /** Whether bytes of an unfinished reply are buffered. */
  get pending(): boolean {
    return this.#length > 0 || this.#lines.length > 0;
  }

  /**
   * Consumes received bytes; complete replies are queued for {@link next}.
   *
   * @param input Bytes from the server; they are copied where needed.
   */
  receive(input: Uint8Array): void {
    let position = 0;
    while (position < input.length && this.#error === undefined) {
      const lf = input.indexOf(LF, position);
      const end = lf < 0 ? input.length : lf;
      if (!this.#append(input, position, end)) return;
      if (lf < 0) return;
      this.#endLine();
      position = lf + 1;
    }
  }

  /**
   * The next complete reply or the protocol error, if any.
   *
   * @returns The result, or `undefined` when more bytes are needed.
   */
  next(): ReplyParseResult | undefined {
    return this.#results.shift() ?? this.#error;
  }

  #append(input: Uint8Array, start: number, end: number): boolean {
    const size = end - start;
    // The limit counts CRLF; a CR may be buffered before its LF arrives.
    if (this.#length + size > this.#maxLineLength - 1) {
      this.#fail(`reply line longer than ${this.#maxLineLength} octets`);
      return false;
    }
    this.#partial.set(input.subarray(start, end), this.#length);
    this.#length += size;
    return true;
  }

  #endLine(): void {
    let length = this.#length;
    if (length > 0 && this.#partial[length - 1] === CR) length--;
    const text = this.#decoder.decode(this.#partial.subarray(0, length));
    this.#length = 0;
    const match = LINE_REGEXP.exec(text);
    if (match === null) return this.#fail(`not a reply line: "${text.slice(0, 100)}"`);
    const code = Number(match[1]);
    if (this.#lines.length > 0 && code !== this.#code) {
      return this.#fail(`reply code changed from ${this.#code} to ${code} within a reply`);
    }
    if (this.#lines.length >= this.#maxLines) {
      return this.#fail(`reply longer than ${this.#maxLines} lines`);
    }
    this.#code = code;
    this.#lines.push(match[3] ?? "");
    if (match[2] !== "-") this.#complete();
  }

  #complete(): void {
    const code = this.#code;
    const lines = this.#lines;
    this.#lines = [];
    const found = ENHANCED_REGEXP.exec(lines[0]);
    if (found === null || Number(found[1]) !== Math.floor(code / 100)) {
      this.#results.push({ kind: "reply", reply: { code, lines } });
      return;
    }
    const enhanced = `${found[1]}.${Number(found[2])}.${Number(found[3])}`;
    const prefix = found[0].trimEnd();
    const stripped = lines.map((line) =>
      line.startsWith(prefix) && (line.length === prefix.length || line[prefix.length] === " ")
        ? line.slice(prefix.length + 1)
        : line
    );
    this.#results.push({ kind: "reply", reply: { code, enhanced, lines: stripped } });
  }

  #fail(reason: string): void {
    this.#error ??= { kind: "protocol-error", reason: `Cannot parse reply: ${reason}` };
    this.#lines = [];
    this.#length = 0;
  }
}
