/**
 * Delivery status notifications (RFC 3464) as a pure function: the bounce,
 * delay warning or success report sent to a message's sender with the null
 * reverse path. Time, ids and the MIME boundary are inputs.
 *
 * @module
 */
import type { Reply } from "../smtp/mod.ts";
import { deliveryStatusBody, formatDate } from "./_dsn_report.ts";
import { noticeLines, subjectFor } from "./_dsn_notice.ts";
import { encodeTextBody, foldField, hasNonAscii, toLines } from "./_dsn_mime.ts";

/** RFC 3464 §2.3.3 Action of one recipient. */
export type DsnAction = "failed" | "delayed" | "delivered" | "relayed";

/** One recipient reported in a DSN. */
export interface DsnRecipient {
  /** The forward-path the message was sent to. */
  address: string;
  /** What happened to it. */
  action: DsnAction;
  /** RFC 3463 status such as `"5.1.1"` (a `failed` action may carry `4.x.x` after expiry). */
  status: string;
  /** The remote server's reply, rendered as `Diagnostic-Code: smtp; 550 5.1.1 …`. */
  diagnostic?: Reply;
  /** Why, when there is no reply (connection refused, expired): `Diagnostic-Code: X-Empath; …`. */
  reason?: string;
  /** The host that gave the reply: `Remote-MTA: dns; host`. */
  remoteMta?: string;
  /** Time of the last attempt, in milliseconds. */
  lastAttemptAt?: number;
  /** For `delayed`: when the system gives up, in milliseconds. */
  willRetryUntil?: number;
  /** The sender's ORCPT (RFC 3461 §4.2) as `<addr-type>;<address>`: `Original-Recipient`. */
  originalRecipient?: string;
}

/** The envelope of the message the DSN is about. */
export interface DsnOriginalEnvelope {
  /** Queue id of the original message. */
  id: string;
  /** Its reverse-path: the DSN goes there. */
  reversePath: string;
  /** Where it came from, reported as `Received-From-MTA`. */
  receivedFrom?: { ip: string; helo: string };
  /** The sender's ENVID (RFC 3461 §4.4), decoded: `Original-Envelope-Id`. */
  envid?: string;
}

/** Options of {@link buildDsn}. */
export interface DsnOptions {
  /** Our host name: `Reporting-MTA: dns; host`, `From: MAILER-DAEMON@host`. */
  reportingMta: string;
  /** The original message's envelope. */
  originalEnvelope: DsnOriginalEnvelope;
  /** The recipients to report, at least one. */
  recipients: DsnRecipient[];
  /** The original message's header block (any line endings). */
  originalHeaders: string;
  /**
   * The whole original message (RET=FULL), CRLF line endings: attached as `message/rfc822`
   * instead of the headers, `8bit` when it has octets above 127.
   */
  originalMessage?: string;
  /** When the original message arrived, in milliseconds. */
  arrivalDate: number;
  /** The current time, in milliseconds, for the `Date` field. */
  now: number;
  /** The DSN's own Message-ID, with or without angle brackets. */
  messageId: string;
  /** The MIME boundary, 1–70 RFC 2046 characters; must be random. */
  boundary: string;
}

/** A DSN ready to be queued: envelope and message. */
export interface Dsn {
  /** Always the null reverse path, so a DSN never causes another DSN (RFC 3464 §4). */
  reversePath: "";
  /** The original sender. */
  recipient: string;
  /**
   * True when the recipient address has non-ASCII characters: the `To`
   * field then carries it in UTF-8 (RFC 6532) and the message must be
   * relayed with SMTPUTF8. Everything else in the message is 7-bit.
   */
  smtputf8: boolean;
  /** True when the returned original message has octets above 127: send with BODY=8BITMIME. */
  eightBit: boolean;
  /** The full RFC 5322 message, CRLF line endings, ending with CRLF. */
  body: string;
}

const HOSTNAME_REGEXP = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.?)+$|^\[[0-9A-Fa-f:.]+\]$/;
const STATUS_REGEXP = /^[245]\.\d{1,3}\.\d{1,3}$/;
const BOUNDARY_REGEXP = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;
const MESSAGE_ID_REGEXP = /^<?([\x21-\x3b\x3d\x3f-\x7e]+@[\x21-\x3b\x3d\x3f-\x7e]+)>?$/;
const ADDRESS_REGEXP = /^[^\s<>]+$/u;
const MAILER_DAEMON_REGEXP = /^mailer-daemon(?:@|$)/i;

/**
 * Tells whether a message's sender may get a DSN. Never for the null reverse
 * path (RFC 5321 §4.5.5, RFC 3464 §4: a bounce is never bounced, which
 * prevents loops) nor for `MAILER-DAEMON` senders, which are other systems'
 * bounce daemons sending without the null path.
 *
 * @param reversePath The original message's reverse-path (`""` for `<>`).
 * @returns `true` if a DSN may be sent.
 *
 * @example
 * ```ts
 * import { shouldBounce } from "./dsn.ts";
 * import assert from "node:assert/strict";
 * assert.equal(shouldBounce("alice@example.org"), true);
 * assert.equal(shouldBounce(""), false);
 * assert.equal(shouldBounce("MAILER-DAEMON@mx.example.org"), false);
 * ```
 */
export function shouldBounce(reversePath: string): boolean {
  const path = reversePath.trim();
  if (path === "" || path === "<>") return false;
  return !MAILER_DAEMON_REGEXP.test(path.replace(/^<|>$/g, ""));
}

/**
 * Builds an RFC 3464 delivery status notification: a `multipart/report;
 * report-type=delivery-status` message (RFC 6522) with a text/plain notice,
 * a `message/delivery-status` part and the original headers as
 * `text/rfc822-headers`, marked `Auto-Submitted: auto-replied` (RFC 3834).
 * Header fields and the report are 7-bit: non-ASCII in diagnostics and
 * addresses is written as RFC 6533 `\x{HHHH}` escapes; the notice and the
 * original headers are base64 (UTF-8) when they are not 7-bit.
 *
 * @param options What to report, to whom, and the injected time, id and boundary.
 * @returns The DSN envelope (null sender) and message.
 * @throws {TypeError} If the sender may not get a DSN ({@link shouldBounce}),
 * there are no recipients, or the host name, a status, the Message-ID, an
 * address or the boundary is malformed, or the boundary occurs in the content.
 *
 * @example
 * ```ts
 * import { buildDsn } from "./dsn.ts";
 * import assert from "node:assert/strict";
 * const dsn = buildDsn({
 *   reportingMta: "mx.example.test",
 *   originalEnvelope: { id: "01J0000000000000000000000", reversePath: "alice@example.test" },
 *   recipients: [{
 *     address: "bob@example.org", action: "failed", status: "5.1.1",
 *     diagnostic: { code: 550, enhanced: "5.1.1", lines: ["No such user"] },
 *   }],
 *   originalHeaders: "Subject: hi\r\n",
 *   arrivalDate: 0, now: 60_000, messageId: "dsn.1@mx.example.test", boundary: "b1",
 * });
 * assert.equal(dsn.reversePath, "");
 * assert.equal(dsn.recipient, "alice@example.test");
 * assert.match(dsn.body, /\r\nDiagnostic-Code: smtp; 550 5\.1\.1 No such user\r\n/);
 * ```
 */
export function buildDsn(options: DsnOptions): Dsn {
  checkOptions(options);
  const { boundary } = options;
  const notice = encodeTextBody(noticeLines(options));
  const eightBit = options.originalMessage !== undefined && hasNonAscii(options.originalMessage);
  const parts = [
    part("Notification", `text/plain; charset=${charset(notice.encoding)}`, notice),
    part("Delivery report", "message/delivery-status", {
      encoding: "7bit",
      body: deliveryStatusBody(options),
    }),
    originalPart(options),
  ];
  if (parts.some((text) => text.split("\r\n").some((line) => line.startsWith(`--${boundary}`)))) {
    throw new TypeError(`Cannot build DSN: boundary "${boundary}" occurs in the content`);
  }
  const lines = [
    ...messageHeaders(options),
    "",
    "This is a MIME-encapsulated message.",
    "",
    ...parts.flatMap((text) => [`--${boundary}`, text, ""]),
    `--${boundary}--`,
    "",
  ];
  const recipient = options.originalEnvelope.reversePath;
  return {
    reversePath: "",
    recipient,
    smtputf8: hasNonAscii(recipient),
    eightBit,
    body: lines.join("\r\n"),
  };
}

/** The third part: the original headers, or the whole message for RET=FULL (RFC 3462 §2). */
function originalPart(options: DsnOptions): string {
  const message = options.originalMessage;
  if (message === undefined) {
    const headers = encodeTextBody(toLines(options.originalHeaders));
    return part("Undelivered Message Headers", textHeadersType(headers.encoding), headers);
  }
  const body = message.endsWith("\r\n") ? message.slice(0, -2) : message;
  const encoding = hasNonAscii(message) ? "8bit" : "7bit";
  return part("Undelivered Message", "message/rfc822", { encoding, body });
}

function messageHeaders(options: DsnOptions): string[] {
  const { reportingMta, originalEnvelope, boundary } = options;
  const id = MESSAGE_ID_REGEXP.exec(options.messageId)![1];
  return [
    `Date: ${formatDate(options.now)}`,
    `From: Mail Delivery System <MAILER-DAEMON@${reportingMta}>`,
    `To: <${originalEnvelope.reversePath}>`,
    foldField("Subject", subjectFor(options.recipients)),
    `Message-ID: <${id}>`,
    "Auto-Submitted: auto-replied",
    "MIME-Version: 1.0",
    "Content-Type: multipart/report; report-type=delivery-status;",
    `\tboundary="${boundary}"`,
  ];
}

function part(description: string, type: string, content: { encoding: string; body: string }) {
  const lines = [`Content-Description: ${description}`, `Content-Type: ${type}`];
  if (content.encoding !== "7bit") lines.push(`Content-Transfer-Encoding: ${content.encoding}`);
  return [...lines, "", content.body].join("\r\n");
}

function charset(encoding: "7bit" | "base64"): string {
  return encoding === "7bit" ? "us-ascii" : "utf-8";
}

function textHeadersType(encoding: "7bit" | "base64"): string {
  return encoding === "7bit" ? "text/rfc822-headers" : "text/rfc822-headers; charset=utf-8";
}

function checkOptions(options: DsnOptions): void {
  const { reportingMta, originalEnvelope, recipients, boundary, messageId } = options;
  const fail = (detail: string) => new TypeError(`Cannot build DSN: ${detail}`);
  if (!shouldBounce(originalEnvelope.reversePath)) {
    throw fail(`sender "${originalEnvelope.reversePath}" must not get a DSN`);
  }
  if (!ADDRESS_REGEXP.test(originalEnvelope.reversePath)) {
    throw fail(`sender "${originalEnvelope.reversePath}" is not an address`);
  }
  if (!HOSTNAME_REGEXP.test(reportingMta)) throw fail(`host name "${reportingMta}" is malformed`);
  if (recipients.length === 0) throw fail("expected at least one recipient");
  for (const recipient of recipients) {
    if (!STATUS_REGEXP.test(recipient.status)) {
      throw fail(`status "${recipient.status}" is not an RFC 3463 code such as "5.1.1"`);
    }
    if (!ADDRESS_REGEXP.test(recipient.address)) {
      throw fail(`recipient "${recipient.address}" is not an address`);
    }
  }
  if (!MESSAGE_ID_REGEXP.test(messageId)) throw fail(`Message-ID "${messageId}" is malformed`);
  if (!BOUNDARY_REGEXP.test(boundary)) throw fail(`boundary "${boundary}" is malformed`);
}
