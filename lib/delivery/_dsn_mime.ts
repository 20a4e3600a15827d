// Encoding helpers of the DSN builder: 7-bit escapes (RFC 6533), header field
// folding (RFC 5322 §2.2.3), text wrapping and base64 bodies (RFC 2045).

const encoder = new TextEncoder();
const LINE_BREAK_REGEXP = /\r\n|\r|\n/;
const PRINTABLE_ASCII_REGEXP = /^[\x20-\x7e]*$/;
/** RFC 6533 §3 QCHAR: printable ASCII except SP, "\", "+" and "=". */
const QCHAR_REGEXP = /^[\x21-\x2a\x2c-\x3c\x3e-\x5b\x5d-\x7e]$/;
/** Characters written as they are in diagnostics and names: printable ASCII except "\". */
const TEXT_CHAR_REGEXP = /^[\x20-\x5b\x5d-\x7e]$/;
/** RFC 5322 §2.1.1: a line is at most 998 characters; aim for 78. */
const MAX_LINE = 998;
const SPACES_REGEXP = / +/;
const TAB_REGEXP = /\t/g;
const FOLD_AT = 78;

/** True if every character is printable ASCII (SP to "~"). */
export function isPrintableAscii(text: string): boolean {
  return PRINTABLE_ASCII_REGEXP.test(text);
}

/** True if the text has a character beyond ASCII. */
export function hasNonAscii(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    if (text.charCodeAt(index) > 0x7f) return true;
  }
  return false;
}

/** RFC 6533 §3 EmbeddedUnicodeChar: `\x{HEXPOINT}`, uppercase, at least two digits. */
function embeddedChar(char: string): string {
  return `\\x{${char.codePointAt(0)!.toString(16).toUpperCase().padStart(2, "0")}}`;
}

/**
 * RFC 6533 utf-8-addr-xtext: the 7-bit form of an address for the `utf-8`
 * address type; characters other than QCHAR become `\x{HEXPOINT}`.
 */
export function utf8AddrXtext(address: string): string {
  let text = "";
  for (const char of address) text += QCHAR_REGEXP.test(char) ? char : embeddedChar(char);
  return text;
}

/**
 * Free text made 7-bit and single-line: printable ASCII stays, everything else
 * (non-ASCII, controls, CR, LF, "\") becomes `\x{HEXPOINT}` as in RFC 6533.
 */
export function escapeText(text: string): string {
  let escaped = "";
  for (const char of text) escaped += TEXT_CHAR_REGEXP.test(char) ? char : embeddedChar(char);
  return escaped;
}

/** Splits text at whitespace into lines of at most `width` characters where words allow. */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  lines.push(line);
  return lines.flatMap((wrapped) => hardSplit(wrapped, MAX_LINE - 4));
}

function hardSplit(line: string, width: number): string[] {
  if (line.length <= width) return [line];
  const parts: string[] = [];
  for (let start = 0; start < line.length; start += width) {
    parts.push(line.slice(start, start + width));
  }
  return parts;
}

/**
 * `Name: value` folded at spaces so lines stay near 78 characters (RFC 5322
 * §2.2.3); a word that cannot fit is split so no line exceeds 998. The value
 * must already be 7-bit and free of CR and LF; runs of spaces become one.
 */
export function foldField(name: string, value: string): string {
  const lines: string[] = [];
  let line = `${name}:`;
  let lineHasWord = false;
  for (const word of value.split(SPACES_REGEXP).filter((part) => part !== "")) {
    if (lineHasWord && line.length + 1 + word.length > FOLD_AT) {
      lines.push(line);
      line = "";
    }
    line = `${line} ${word}`;
    lineHasWord = true;
  }
  lines.push(line);
  // Continuation lines start with the space before their first word.
  return lines.map((folded) => hardSplit(folded, MAX_LINE - 2).join("\r\n ")).join("\r\n");
}

/** Lines of text, whatever their line endings, without trailing empty lines. */
export function toLines(text: string): string[] {
  const lines = text.split(LINE_BREAK_REGEXP);
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** A MIME body for text: 7-bit as it is when possible, otherwise base64 of its UTF-8. */
export function encodeTextBody(lines: string[]): { encoding: "7bit" | "base64"; body: string } {
  const fits = lines.every((line) =>
    line.length <= MAX_LINE && isPrintableAscii(line.replace(TAB_REGEXP, " "))
  );
  const text = lines.join("\r\n");
  if (fits) return { encoding: "7bit", body: text };
  const bytes = encoder.encode(`${text}\r\n`);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  const base64 = btoa(binary);
  const chunks: string[] = [];
  for (let start = 0; start < base64.length; start += 76) {
    chunks.push(base64.slice(start, start + 76));
  }
  return { encoding: "base64", body: chunks.join("\r\n") };
}
