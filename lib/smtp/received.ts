/**
 * The `Received:` trace header (RFC 5321 §4.4) and its `with` protocol names
 * (RFC 3848, RFC 6531 §3.7.3).
 *
 * @module
 */
import { isAddressLiteral, isDomainName, isIpv4 } from "./_domain.ts";
import { formatMessageDate } from "./message_date.ts";

/** A `with` protocol name (RFC 3848, RFC 6531 §3.7.3). */
export type ReceivedProtocol =
  | "SMTP"
  | "ESMTP"
  | "ESMTPA"
  | "ESMTPS"
  | "ESMTPSA"
  | "UTF8SMTP"
  | "UTF8SMTPA"
  | "UTF8SMTPS"
  | "UTF8SMTPSA";

/** What {@link receivedHeader} records. */
export interface ReceivedOptions {
  /** The EHLO/HELO argument as the client sent it. */
  from: string;
  /** The client's IP address (IPv4 or IPv6). */
  ip: string;
  /** The client's verified reverse DNS name, if any. */
  rdns?: string;
  /** This server's host name. */
  by: string;
  /** The protocol; see {@link receivedProtocol}. */
  with: ReceivedProtocol | string;
  /** The TLS session, if any. */
  tls?: { readonly version: string; readonly cipher: string };
  /** The queue id of the message. */
  id: string;
  /** The recipient address; give it only when there is exactly one (privacy). */
  for?: string;
  /** When the message was received. */
  date: Date;
}

const COMMENT_UNSAFE_REGEXP = /[()\\]/g;
// deno-lint-ignore no-control-regex
const CONTROL_REGEXP = /[\x00-\x1f\x7f]/g;
const ATOM_UNSAFE_REGEXP = /[^A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]/g;

/**
 * Builds a folded `Received:` header field (RFC 5321 §4.4, Time-stamp-line),
 * ending in CRLF. The HELO argument is written as given only when it is a
 * domain or address literal; otherwise the client is recorded as `unknown`
 * with the argument in a comment.
 *
 * @param options The facts to record.
 * @returns The header field, folded with CRLF TAB, ending in CRLF.
 *
 * @example
 * ```ts
 * import { receivedHeader } from "./received.ts";
 * import assert from "node:assert/strict";
 * const header = receivedHeader({
 *   from: "client.example", ip: "192.0.2.1", by: "mx.example.test", with: "ESMTPS",
 *   tls: { version: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384" }, id: "01ABC",
 *   for: "user@example.test", date: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)),
 * });
 * assert.equal(
 *   header,
 *   "Received: from client.example ([192.0.2.1])\r\n" +
 *     "\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384)\r\n" +
 *     "\tby mx.example.test (Empath) with ESMTPS id 01ABC\r\n" +
 *     "\tfor <user@example.test>; Tue, 02 Jan 2024 03:04:05 +0000\r\n",
 * );
 * ```
 */
export function receivedHeader(options: ReceivedOptions): string {
  const lines = [`Received: from ${fromClause(options)}`];
  if (options.tls !== undefined) {
    lines.push(
      `(using ${comment(options.tls.version)} with cipher ${comment(options.tls.cipher)})`,
    );
  }
  const id = options.id.replace(ATOM_UNSAFE_REGEXP, "");
  lines.push(`by ${comment(options.by)} (Empath) with ${comment(options.with)} id ${id}`);
  const date = formatMessageDate(options.date);
  if (options.for !== undefined) lines.push(`for <${comment(options.for)}>; ${date}`);
  else lines[lines.length - 1] += `; ${date}`;
  return `${lines.join("\r\n\t")}\r\n`;
}

function fromClause(options: ReceivedOptions): string {
  const helo = options.from;
  const valid = isDomainName(helo, true) || isAddressLiteral(helo);
  const literal = addressLiteral(options.ip);
  const tcpInfo = options.rdns !== undefined && isDomainName(options.rdns, true)
    ? `${options.rdns} ${literal}`
    : literal;
  return valid ? `${helo} (${tcpInfo})` : `unknown (${tcpInfo} helo=${comment(helo)})`;
}

/** RFC 5321 §4.1.3: `[192.0.2.1]` or `[IPv6:2001:db8::1]`. */
function addressLiteral(ip: string): string {
  return isIpv4(ip) ? `[${ip}]` : `[IPv6:${comment(ip)}]`;
}

/** Makes text safe inside a comment or header: no controls, parentheses escaped. */
function comment(text: string): string {
  return text.replace(CONTROL_REGEXP, "").replace(COMMENT_UNSAFE_REGEXP, "\\$&");
}

/**
 * The `with` protocol name for a session (RFC 3848; RFC 6531 §3.7.3 for UTF8SMTP).
 *
 * @param session How the message came in.
 * @returns `SMTP` for HELO, otherwise `ESMTP`/`UTF8SMTP` with `S` for TLS and `A` for AUTH.
 *
 * @example
 * ```ts
 * import { receivedProtocol } from "./received.ts";
 * receivedProtocol({ esmtp: true, tls: true, authenticated: true, utf8: false }); // "ESMTPSA"
 * ```
 */
export function receivedProtocol(
  session: { esmtp: boolean; tls: boolean; authenticated: boolean; utf8: boolean },
): ReceivedProtocol {
  if (!session.esmtp) return "SMTP";
  const base = session.utf8 ? "UTF8SMTP" : "ESMTP";
  const suffix = `${session.tls ? "S" : ""}${session.authenticated ? "A" : ""}`;
  return `${base}${suffix}` as ReceivedProtocol;
}
