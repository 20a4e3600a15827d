// Builds an RFC 5322 / MIME message from structured parts, for
// `POST /v1/messages` with a JSON body. Pure: the caller passes the date, the
// Message-ID and the multipart boundary.

/** RFC 5322 §2.1.1: a line is at most 998 octets plus CRLF. */
export const MAX_LINE = 998;
/** RFC 2045 §6.7 (5): encoded lines of quoted-printable are at most 76 characters. */
const QP_LINE = 76;
/** RFC 2045 §6.8: base64 lines of 76 characters hold 57 bytes. */
const BASE64_LINE_BYTES = 57;
/** RFC 2047 §2: an encoded-word is at most 75 characters; `=?UTF-8?B?` + `?=` leave 63, 45 bytes. */
const ENCODED_WORD_BYTES = 45;
/** RFC 5322 §2.1.1: fold header lines near 78 characters where possible. */
const FOLD_AT = 78;
/** Above this share of octets needing escapes, base64 is smaller than quoted-printable. */
const BASE64_THRESHOLD = 0.3;

/** Header fields whose value is an address list (RFC 5322 §3.6.2, §3.6.3). */
const ADDRESS_FIELDS: ReadonlySet<string> = new Set([
  "from",
  "sender",
  "reply-to",
  "to",
  "cc",
  "bcc",
]);

// deno-lint-ignore no-control-regex
const NON_ASCII_REGEXP = /[^\x00-\x7f]/;
// deno-lint-ignore no-control-regex
const NOT_7BIT_REGEXP = /[^\x01-\x7e\r\n\t]/;
const LINE_BREAK_REGEXP = /\r\n|\r|\n/g;
const MAILBOX_REGEXP = /^\s*(?:"((?:[^"\\]|\\.)*)"|([^<"]*?))\s*<([^<>]*)>\s*$/s;

const encoder = new TextEncoder();

/** What {@linkcode composeMessage} builds a message from. */
export interface ComposeInit {
  /** `From:` header value (an address or a mailbox list). */
  from: string;
  /** `To:` header value parts, joined with `, `. */
  to: readonly string[];
  /** `Subject:`, UTF-8 allowed. */
  subject?: string;
  /** Plain-text body. */
  text?: string;
  /** HTML body. */
  html?: string;
  /** Extra header fields; `Date`, `From`, `To`, `Subject` and `Message-ID` here replace the defaults. */
  headers?: Readonly<Record<string, string>>;
  /** `Date:` value (RFC 5322 §3.3). */
  date: string;
  /** `Message-ID:` value, with angle brackets. */
  messageId: string;
  /** Multipart boundary; must not occur in 7bit content (it is checked). */
  boundary: string;
}

/** An encoded body part: the transfer encoding and the encoded text with CRLF line breaks. */
interface EncodedBody {
  encoding: "7bit" | "quoted-printable" | "base64";
  body: string;
}

/** A header field that cannot be written within the line limit. */
export class HeaderSyntaxError extends SyntaxError {
  /** The field's name. */
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.name = "HeaderSyntaxError";
    this.field = field;
  }
}

/**
 * Builds a MIME message (RFC 5322, RFC 2045–2047): `text/plain`, `text/html`
 * or `multipart/alternative` with UTF-8 bodies in 7bit (ASCII with short
 * lines), quoted-printable or base64, non-ASCII header text as RFC 2047
 * encoded-words and every line at most 998 octets, all with CRLF.
 *
 * @returns The message; ASCII unless an address itself is UTF-8 (SMTPUTF8).
 * @throws {HeaderSyntaxError} If an address header cannot be folded to 998 octets.
 */
export function composeMessage(init: ComposeInit): string {
  const fields = new Map<string, [string, string]>();
  const put = (name: string, value: string) => fields.set(name.toLowerCase(), [name, value]);
  put("Date", init.date);
  put("From", init.from);
  put("To", init.to.join(", "));
  if (init.subject !== undefined) put("Subject", init.subject);
  put("Message-ID", init.messageId);
  for (const [name, value] of Object.entries(init.headers ?? {})) put(name, value);
  put("MIME-Version", "1.0");
  const lines = [...fields.values()].map(([name, value]) => formatHeader(name, value));
  const parts: [string, string][] = [];
  if (init.text !== undefined || init.html === undefined) parts.push(["plain", init.text ?? ""]);
  if (init.html !== undefined) parts.push(["html", init.html]);
  if (parts.length === 1) {
    const [subtype, content] = parts[0];
    return `${lines.join("")}${partHeaders(subtype, encodeBody(content, init.boundary))}`;
  }
  const delimiter = `--${init.boundary}`;
  const sections = parts.map(([subtype, content]) =>
    `${delimiter}\r\n${partHeaders(subtype, encodeBody(content, init.boundary))}`
  );
  return `${lines.join("")}Content-Type: multipart/alternative; boundary="${init.boundary}"\r\n` +
    `\r\nThis is a multi-part message in MIME format.\r\n` +
    `${sections.join("\r\n")}\r\n${delimiter}--\r\n`;
}

/** Headers, blank line and body of one text part, ending in CRLF. */
function partHeaders(subtype: string, { encoding, body }: EncodedBody): string {
  const text = body === "" || body.endsWith("\r\n") ? body : `${body}\r\n`;
  return `Content-Type: text/${subtype}; charset=utf-8\r\n` +
    `Content-Transfer-Encoding: ${encoding}\r\n\r\n${text}`;
}

/**
 * One header field, folded, ending in CRLF. Non-ASCII text becomes RFC 2047
 * encoded-words: the whole value of an unstructured field, the display names
 * of an address field.
 */
export function formatHeader(name: string, value: string): string {
  const key = name.toLowerCase();
  if (ADDRESS_FIELDS.has(key)) {
    const folded = fold(`${name}: ${encodeAddressList(value)}`);
    if (folded === undefined) {
      throw new HeaderSyntaxError(name, `Cannot write header "${name}": a word is too long`);
    }
    return folded;
  }
  if (!NON_ASCII_REGEXP.test(value)) {
    const folded = fold(`${name}: ${value}`);
    if (folded !== undefined) return folded;
  }
  return `${name}: ${encodedWords(value).join("\r\n ")}\r\n`;
}

/**
 * Folds a header line at whitespace near 78 characters (RFC 5322 §2.2.3).
 * Returns undefined if some piece stays over 998 octets.
 */
function fold(line: string): string | undefined {
  const words = line.split(/(?=[ \t])/);
  const out: string[] = [];
  let current = "";
  for (const word of words) {
    if (current !== "" && current.length + word.length > FOLD_AT && word.trim() !== "") {
      out.push(current);
      current = word;
    } else {
      current += word;
    }
  }
  out.push(current);
  if (out.some((piece) => encoder.encode(piece).length > MAX_LINE)) return undefined;
  return `${out.join("\r\n")}\r\n`;
}

/** RFC 2047 `B` encoded-words of at most 45 UTF-8 bytes each, never splitting a character. */
export function encodedWords(text: string): string[] {
  const words: string[] = [];
  let chunk: number[] = [];
  for (const character of text) {
    const bytes = encoder.encode(character);
    if (chunk.length + bytes.length > ENCODED_WORD_BYTES) {
      words.push(encodedWord(chunk));
      chunk = [];
    }
    chunk.push(...bytes);
  }
  if (chunk.length > 0 || words.length === 0) words.push(encodedWord(chunk));
  return words;
}

function encodedWord(bytes: number[]): string {
  return `=?UTF-8?B?${btoa(String.fromCharCode(...bytes))}?=`;
}

/**
 * Encodes the non-ASCII display names of an address list (`Jörg <j@x>`); the
 * addresses stay as they are (UTF-8 addresses need SMTPUTF8, RFC 6532).
 */
function encodeAddressList(value: string): string {
  if (!NON_ASCII_REGEXP.test(value)) return value;
  return splitAddresses(value).map((mailbox) => {
    const match = MAILBOX_REGEXP.exec(mailbox);
    if (match === null) return mailbox.trim();
    const phrase = match[1]?.replace(/\\(.)/g, "$1") ?? match[2];
    if (!NON_ASCII_REGEXP.test(phrase)) return mailbox.trim();
    return `${encodedWords(phrase).join(" ")} <${match[3]}>`;
  }).join(", ");
}

/** Splits an address list on commas outside quoted strings and angle brackets. */
function splitAddresses(value: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quoted = false;
  let angle = false;
  for (let i = 0; i < value.length; i++) {
    const character = value[i];
    if (quoted && character === "\\") {
      current += character + (value[++i] ?? "");
      continue;
    }
    if (character === '"') quoted = !quoted;
    else if (!quoted && character === "<") angle = true;
    else if (!quoted && character === ">") angle = false;
    if (character === "," && !quoted && !angle) {
      parts.push(current);
      current = "";
    } else {
      current += character;
    }
  }
  parts.push(current);
  return parts.filter((part) => part.trim() !== "");
}

/**
 * Encodes a UTF-8 text body with CRLF line breaks: 7bit when it is ASCII with
 * lines of at most 998 octets (and does not contain the boundary), otherwise
 * quoted-printable, or base64 when most octets would need escaping.
 */
export function encodeBody(content: string, boundary: string): EncodedBody {
  const text = content.replace(LINE_BREAK_REGEXP, "\r\n");
  const lines = text.split("\r\n");
  const ascii = !NOT_7BIT_REGEXP.test(text);
  if (ascii && lines.every((line) => line.length <= MAX_LINE) && !text.includes(boundary)) {
    return { encoding: "7bit", body: text };
  }
  const bytes = encoder.encode(text);
  let escaped = 0;
  for (const byte of bytes) if (byte > 126 || (byte < 32 && byte !== 10 && byte !== 13)) escaped++;
  if (escaped > bytes.length * BASE64_THRESHOLD) return { encoding: "base64", body: base64(bytes) };
  return { encoding: "quoted-printable", body: lines.map(quotedPrintableLine).join("\r\n") };
}

/** RFC 2045 §6.7: one line of text as quoted-printable lines with soft line breaks. */
export function quotedPrintableLine(line: string): string {
  const bytes = encoder.encode(line);
  const out: string[] = [];
  let current = "";
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    const last = i === bytes.length - 1;
    const literal = (byte >= 33 && byte <= 126 && byte !== 61) ||
      ((byte === 32 || byte === 9) && !last);
    const token = literal
      ? String.fromCharCode(byte)
      : `=${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    if (current.length + token.length > (last ? QP_LINE : QP_LINE - 1)) {
      out.push(`${current}=`);
      current = "";
    }
    current += token;
  }
  out.push(current);
  return out.join("\r\n");
}

/** RFC 2045 §6.8: base64 in lines of 76 characters. */
function base64(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += BASE64_LINE_BYTES) {
    lines.push(btoa(String.fromCharCode(...bytes.subarray(i, i + BASE64_LINE_BYTES))));
  }
  return lines.join("\r\n");
}
