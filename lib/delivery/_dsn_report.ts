// The machine-readable part of a DSN: the message/delivery-status fields of
// RFC 3464 §2.2 (per message) and §2.3 (per recipient).
import { formatMessageDate, type Reply } from "../smtp/mod.ts";
import type { DsnOptions, DsnRecipient } from "./dsn.ts";
import { escapeText, foldField, hasNonAscii, utf8AddrXtext } from "./_dsn_mime.ts";

/** Diagnostic text is cut to this many characters before escaping. */
const MAX_DIAGNOSTIC = 900;
const PARENS_REGEXP = /[()]/g;

/** RFC 5322 date of a time in milliseconds. */
export function formatDate(ms: number): string {
  return formatMessageDate(new Date(ms));
}

/**
 * An address with its RFC 3464 address type: `rfc822; a@b` for ASCII,
 * `utf-8; <xtext>` (RFC 6533 §3) when it has non-ASCII characters.
 */
export function typedAddress(address: string): string {
  if (hasNonAscii(address)) return `utf-8; ${utf8AddrXtext(address)}`;
  return `rfc822; ${escapeText(address)}`;
}

/** A reply as one line of text: `550 5.1.1 first line second line`. */
export function replyText(reply: Reply): string {
  const enhanced = reply.enhanced === undefined ? "" : ` ${reply.enhanced}`;
  const text = `${reply.code}${enhanced} ${reply.lines.join(" ")}`.trim();
  return text.length <= MAX_DIAGNOSTIC ? text : `${text.slice(0, MAX_DIAGNOSTIC)}...`;
}

/** The per-message block (RFC 3464 §2.2). */
export function perMessageFields(options: DsnOptions): string[] {
  const { reportingMta, originalEnvelope } = options;
  const fields: string[] = [];
  if (originalEnvelope.envid !== undefined) {
    fields.push(foldField("Original-Envelope-Id", escapeText(originalEnvelope.envid)));
  }
  fields.push(foldField("Reporting-MTA", `dns; ${reportingMta}`));
  fields.push(foldField("X-Empath-Queue-ID", escapeText(originalEnvelope.id)));
  fields.push(foldField("X-Empath-Sender", typedAddress(originalEnvelope.reversePath)));
  const from = originalEnvelope.receivedFrom;
  if (from !== undefined) {
    // The peer's EHLO name is untrusted: escaped, and parentheses too, as the IP is a comment.
    const helo = escapeText(from.helo).replace(
      PARENS_REGEXP,
      (char) => (char === "(" ? "\\x{28}" : "\\x{29}"),
    );
    fields.push(foldField("Received-From-MTA", `dns; ${helo} (${escapeText(from.ip)})`));
  }
  fields.push(`Arrival-Date: ${formatDate(options.arrivalDate)}`);
  return fields;
}

/** One per-recipient block (RFC 3464 §2.3). */
export function perRecipientFields(recipient: DsnRecipient): string[] {
  const fields = [
    ...originalRecipient(recipient.originalRecipient),
    foldField("Final-Recipient", typedAddress(recipient.address)),
    `Action: ${recipient.action}`,
    `Status: ${recipient.status}`,
  ];
  if (recipient.remoteMta !== undefined) {
    fields.push(foldField("Remote-MTA", `dns; ${escapeText(recipient.remoteMta)}`));
  }
  if (recipient.diagnostic !== undefined) {
    fields.push(
      foldField("Diagnostic-Code", `smtp; ${escapeText(replyText(recipient.diagnostic))}`),
    );
  } else if (recipient.reason !== undefined) {
    // RFC 3464 §2.3.6: a diagnostic that is not an SMTP reply uses an X- type.
    fields.push(foldField("Diagnostic-Code", `X-Empath; ${escapeText(cut(recipient.reason))}`));
  }
  if (recipient.lastAttemptAt !== undefined) {
    fields.push(`Last-Attempt-Date: ${formatDate(recipient.lastAttemptAt)}`);
  }
  if (recipient.willRetryUntil !== undefined && recipient.action === "delayed") {
    fields.push(`Will-Retry-Until: ${formatDate(recipient.willRetryUntil)}`);
  }
  return fields;
}

/** The whole message/delivery-status body: blocks separated by empty lines. */
export function deliveryStatusBody(options: DsnOptions): string {
  const blocks = [perMessageFields(options), ...options.recipients.map(perRecipientFields)];
  return blocks.map((fields) => fields.join("\r\n")).join("\r\n\r\n");
}

/** RFC 3464 §2.3.1 `Original-Recipient` from a stored ORCPT (`<addr-type>;<address>`). */
function originalRecipient(orcpt: string | undefined): string[] {
  if (orcpt === undefined) return [];
  const semicolon = orcpt.indexOf(";");
  const type = orcpt.slice(0, semicolon);
  const address = orcpt.slice(semicolon + 1);
  // message/delivery-status is 7-bit: a utf-8 address goes as utf-8-addr-xtext (RFC 6533 §3).
  const value = type === "utf-8"
    ? `utf-8; ${utf8AddrXtext(address)}`
    : `${escapeText(type)}; ${escapeText(address)}`;
  return [foldField("Original-Recipient", value)];
}

function cut(text: string): string {
  return text.length <= MAX_DIAGNOSTIC ? text : `${text.slice(0, MAX_DIAGNOSTIC)}...`;
}
