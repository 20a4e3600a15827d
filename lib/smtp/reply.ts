/**
 * SMTP replies as values: the {@link Reply} type, the one place that formats
 * them ({@link formatReply}), and the named constructors in `replies.ts`.
 *
 * @module
 */

/**
 * An SMTP reply (RFC 5321 §4.2): a three-digit code, an optional RFC 3463
 * enhanced status code and one or more text lines.
 *
 * @example
 * ```ts
 * import type { Reply } from "./reply.ts";
 * const reply: Reply = { code: 250, enhanced: "2.0.0", lines: ["Ok"] };
 * ```
 */
export interface Reply {
  /** The three-digit reply code, `200`–`599`. */
  code: number;
  /** The RFC 3463 enhanced status code, such as `"2.1.0"`. */
  enhanced?: string;
  /** Text lines; a reply with several lines is sent as a multi-line reply. */
  lines: string[];
}

/** Options of {@link formatReply}. */
export interface FormatReplyOptions {
  /**
   * Whether to prefix each line with the reply's enhanced status code. True
   * once the client used EHLO, as ENHANCEDSTATUSCODES is then advertised
   * (RFC 2034). 3xx replies never carry one.
   */
  enhanced: boolean;
}

const LINE_BREAK_REGEXP = /[\r\n]/g;

/**
 * Formats a reply for the wire: `250-first`, …, `250 last`, each line ended
 * by CRLF (RFC 5321 §4.2.1). CR and LF inside the text become spaces, so a
 * reply can never smuggle a second reply.
 *
 * @param reply The reply to format.
 * @param options Whether enhanced status codes are in use.
 * @returns The reply text including the final CRLF.
 * @throws {RangeError} If the code is not within `200`–`599`.
 *
 * @example
 * ```ts
 * import { formatReply } from "./reply.ts";
 * import assert from "node:assert/strict";
 * const reply = { code: 250, enhanced: "2.0.0", lines: ["first", "last"] };
 * assert.equal(formatReply(reply, { enhanced: true }), "250-2.0.0 first\r\n250 2.0.0 last\r\n");
 * assert.equal(formatReply(reply, { enhanced: false }), "250-first\r\n250 last\r\n");
 * ```
 */
export function formatReply(reply: Reply, options: FormatReplyOptions): string {
  const { code } = reply;
  if (!Number.isInteger(code) || code < 200 || code > 599) {
    throw new RangeError(`Cannot format reply: code "${code}" is not within 200-599`);
  }
  // RFC 2034 §4: 3xx intermediate replies carry no enhanced status code.
  const prefix = options.enhanced && reply.enhanced !== undefined && (code < 300 || code >= 400)
    ? `${reply.enhanced} `
    : "";
  const lines = reply.lines.length === 0 ? [""] : reply.lines;
  let text = "";
  for (let index = 0; index < lines.length; index++) {
    const separator = index === lines.length - 1 ? " " : "-";
    const line = lines[index].replace(LINE_BREAK_REGEXP, " ");
    text += `${code}${separator}${prefix}${line}\r\n`;
  }
  return text;
}

/**
 * Thrown by the parsers for input from the peer that cannot be parsed; carries
 * the reply to send back.
 *
 * @example
 * ```ts
 * import { SmtpSyntaxError } from "./reply.ts";
 * const error = new SmtpSyntaxError("Cannot parse command", {
 *   code: 500,
 *   enhanced: "5.5.2",
 *   lines: ["Error: command not recognized"],
 * });
 * error.reply.code; // 500
 * ```
 */
export class SmtpSyntaxError extends SyntaxError {
  /** The reply to send to the peer. */
  readonly reply: Reply;

  /**
   * Creates the error.
   *
   * @param message Internal description, for logs; never sent to the peer.
   * @param reply The reply to send to the peer.
   * @param options Standard error options, such as `cause`.
   */
  constructor(message: string, reply: Reply, options?: ErrorOptions) {
    super(message, options);
    this.name = "SmtpSyntaxError";
    this.reply = reply;
  }
}

/**
 * An error with an SMTP meaning: carries the reply that describes it, for
 * callers that map failures to replies.
 *
 * @example
 * ```ts
 * import { SmtpReplyError } from "./reply.ts";
 * const error = new SmtpReplyError("Spool full", { code: 452, enhanced: "4.3.1", lines: ["Insufficient system storage"] });
 * error.reply.code; // 452
 * ```
 */
export class SmtpReplyError extends Error {
  /** The reply that describes the failure. */
  readonly reply: Reply;

  /**
   * Creates the error.
   *
   * @param message Internal description, for logs; never sent to the peer.
   * @param reply The reply that describes the failure.
   * @param options Standard error options, such as `cause`.
   */
  constructor(message: string, reply: Reply, options?: ErrorOptions) {
    super(message, options);
    this.name = "SmtpReplyError";
    this.reply = reply;
  }
}
