/**
 * xtext (RFC 3461 §4) and the RFC 6533 `utf-8-addr-xtext` form: how DSN's
 * ENVID and ORCPT values (and AUTH=) travel on MAIL and RCPT lines.
 *
 * @module
 */

/** RFC 3461 §4: xtext is one or more xchar (`!` to `~` except `+` and `=`) or `+HH`. */
const XTEXT_REGEXP = /^(?:[\x21-\x2a\x2c-\x3c\x3e-\x7e]|\+[0-9A-F]{2})+$/;
const XCHAR_REGEXP = /^[\x21-\x2a\x2c-\x3c\x3e-\x7e]$/;
const HEXCHAR_REGEXP = /\+([0-9A-F]{2})/g;
/** RFC 6533 §3 QCHAR: printable ASCII except SP, "\", "+" and "=". */
const QCHAR_REGEXP = /^[\x21-\x2a\x2c-\x3c\x3e-\x5b\x5d-\x7e]$/;
/** RFC 6533 §3 EmbeddedUnicodeChar `\x{HEXPOINT}` (2 to 6 hex digits, no leading zeros past 2). */
const EMBEDDED_REGEXP = /\\x\{([0-9A-F]{2,6})\}/g;
const UTF8_ADDR_XTEXT_REGEXP = /^(?:[\x21-\x2a\x2c-\x3c\x3e-\x5b\x5d-\x7e]|\\x\{[0-9A-F]{2,6}\})+$/;

/**
 * Tells whether a string is valid xtext (RFC 3461 §4): non-empty, `+` only as
 * `+HH` with upper-case hex digits, no `=`, SP or controls.
 *
 * @param text The candidate.
 * @returns `true` if it is xtext.
 *
 * @example
 * ```ts
 * import { isXtext } from "./xtext.ts";
 * isXtext("a+2Bb"); // true
 * isXtext("a+b"); // false
 * ```
 */
export function isXtext(text: string): boolean {
  return XTEXT_REGEXP.test(text);
}

/**
 * Encodes text as xtext: `+`, `=` and any character outside `!`…`~` become
 * `+HH`. Characters above U+00FF are encoded as the `+HH` of their UTF-8 octets.
 *
 * @param text Any text (non-empty for a valid result).
 * @returns The xtext form.
 *
 * @example
 * ```ts
 * import { encodeXtext } from "./xtext.ts";
 * encodeXtext("a+b=c d"); // "a+2Bb+3Dc+20d"
 * ```
 */
export function encodeXtext(text: string): string {
  let encoded = "";
  for (const char of text) {
    if (XCHAR_REGEXP.test(char)) {
      encoded += char;
      continue;
    }
    for (const byte of new TextEncoder().encode(char)) {
      encoded += `+${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    }
  }
  return encoded;
}

/**
 * Decodes xtext to the text it stands for; the octets are read as UTF-8 (invalid
 * sequences become U+FFFD, so callers that need printable ASCII check for it).
 *
 * @param text The xtext.
 * @returns The decoded text, or `undefined` when `text` is not xtext.
 *
 * @example
 * ```ts
 * import { decodeXtext } from "./xtext.ts";
 * decodeXtext("a+2Bb"); // "a+b"
 * decodeXtext("a=b"); // undefined
 * ```
 */
export function decodeXtext(text: string): string | undefined {
  if (!isXtext(text)) return undefined;
  if (!text.includes("+")) return text;
  const bytes: number[] = [];
  let last = 0;
  for (const match of text.matchAll(HEXCHAR_REGEXP)) {
    for (const char of text.slice(last, match.index)) bytes.push(char.charCodeAt(0));
    bytes.push(parseInt(match[1], 16));
    last = match.index + match[0].length;
  }
  for (const char of text.slice(last)) bytes.push(char.charCodeAt(0));
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/**
 * RFC 6533 §3 `utf-8-addr-xtext`: QCHAR as they are, every other character as
 * `\x{HEXPOINT}` (upper case, at least two digits).
 *
 * @param address An address, possibly with non-ASCII characters.
 * @returns The 7-bit form.
 *
 * @example
 * ```ts
 * import { encodeUtf8AddrXtext } from "./xtext.ts";
 * encodeUtf8AddrXtext("jö@example.test"); // "j\\x{F6}@example.test"
 * ```
 */
export function encodeUtf8AddrXtext(address: string): string {
  let text = "";
  for (const char of address) {
    text += QCHAR_REGEXP.test(char)
      ? char
      : `\\x{${char.codePointAt(0)!.toString(16).toUpperCase().padStart(2, "0")}}`;
  }
  return text;
}

/**
 * Decodes RFC 6533 `utf-8-addr-xtext` (the 7-bit form; `utf-8-addr-unitext`,
 * raw UTF-8 after SMTPUTF8, is not accepted).
 *
 * @param text The encoded address.
 * @returns The address, or `undefined` when `text` is malformed or encodes a
 * control, a surrogate or a code point above U+10FFFF.
 *
 * @example
 * ```ts
 * import { decodeUtf8AddrXtext } from "./xtext.ts";
 * decodeUtf8AddrXtext("j\\x{F6}@example.test"); // "jö@example.test"
 * ```
 */
export function decodeUtf8AddrXtext(text: string): string | undefined {
  if (!UTF8_ADDR_XTEXT_REGEXP.test(text)) return undefined;
  let valid = true;
  const decoded = text.replace(EMBEDDED_REGEXP, (_, hex: string) => {
    const point = parseInt(hex, 16);
    if (point < 0x20 || point === 0x7f || point > 0x10ffff || (point >= 0xd800 && point < 0xe000)) {
      valid = false;
      return "";
    }
    return String.fromCodePoint(point);
  });
  return valid ? decoded : undefined;
}
