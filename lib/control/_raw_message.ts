// Checks and normalises a raw RFC 5322 message submitted to `POST /v1/messages`
// as `message/rfc822`. Pure.
import { MAX_LINE } from "./_mime.ts";

const CR = 13;
const LF = 10;
/** RFC 5322 §3.6.8: a field name is printable ASCII except the colon. */
const FIELD_NAME_REGEXP = /^[\x21-\x39\x3b-\x7e]+$/;

/** A raw message that cannot be queued, with the reason. */
export class MessageSyntaxError extends SyntaxError {
  constructor(message: string) {
    super(message);
    this.name = "MessageSyntaxError";
  }
}

/** What {@linkcode inspectMessage} learns about a CRLF-normalised message. */
export interface MessageFacts {
  /** Lowercased names of the header fields present. */
  readonly fields: ReadonlySet<string>;
  /** Whether any octet is above 127 (the envelope needs `BODY=8BITMIME`). */
  readonly eightBit: boolean;
}

/**
 * Rewrites bare LF and bare CR as CRLF (RFC 5322 §2.3), leaving CRLF alone.
 *
 * @param bytes The message as received.
 * @returns The normalised message (the same array when nothing changes).
 */
export function normaliseLineBreaks(bytes: Uint8Array): Uint8Array {
  let extra = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === CR && bytes[i + 1] === LF) i++;
    else if (bytes[i] === CR || bytes[i] === LF) extra++;
  }
  if (extra === 0) return bytes;
  const out = new Uint8Array(bytes.length + extra);
  let j = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (byte === CR && bytes[i + 1] === LF) {
      out[j++] = CR;
      out[j++] = LF;
      i++;
    } else if (byte === CR || byte === LF) {
      out[j++] = CR;
      out[j++] = LF;
    } else {
      out[j++] = byte;
    }
  }
  return out;
}

/**
 * Checks a CRLF-normalised message: a header section of fields (RFC 5322
 * §2.2) ended by an empty line, no NUL octet, no line over 998 octets.
 *
 * @throws {MessageSyntaxError} Naming what is wrong.
 */
export function inspectMessage(bytes: Uint8Array): MessageFacts {
  const fields = new Set<string>();
  let eightBit = false;
  let inHeader = true;
  let lineStart = 0;
  let lineNumber = 1;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (byte > 127) eightBit = true;
    else if (byte === 0) {
      throw new MessageSyntaxError(`Message has a NUL octet on line ${lineNumber}`);
    }
    if (byte !== CR) continue;
    // After normalisation every CR starts a CRLF.
    if (i - lineStart > MAX_LINE) {
      throw new MessageSyntaxError(`Line ${lineNumber} is longer than ${MAX_LINE} octets`);
    }
    if (inHeader) {
      if (i === lineStart) {
        if (fields.size === 0) throw new MessageSyntaxError("Message has no header fields");
        inHeader = false;
      } else checkHeaderLine(bytes.subarray(lineStart, i), lineNumber, fields);
    }
    i++;
    lineStart = i + 1;
    lineNumber++;
  }
  if (bytes.length - lineStart > MAX_LINE) {
    throw new MessageSyntaxError(`Line ${lineNumber} is longer than ${MAX_LINE} octets`);
  }
  if (inHeader) {
    throw new MessageSyntaxError("Message has no empty line between the header and the body");
  }
  return { fields, eightBit };
}

function checkHeaderLine(line: Uint8Array, lineNumber: number, fields: Set<string>): void {
  if (line[0] === 32 || line[0] === 9) {
    if (lineNumber === 1) throw new MessageSyntaxError("Message starts with a continuation line");
    return;
  }
  const colon = line.indexOf(58);
  const name = colon < 1 ? "" : String.fromCharCode(...line.subarray(0, colon)).trimEnd();
  if (!FIELD_NAME_REGEXP.test(name)) {
    throw new MessageSyntaxError(`Line ${lineNumber} of the header is not a header field`);
  }
  fields.add(name.toLowerCase());
}
