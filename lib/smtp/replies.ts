import type { Reply } from "./reply.ts";

/**
 * Every reply the protocol core sends, in one table: name → reply code, RFC
 * 3463 enhanced status code (absent on the greeting, EHLO and 3xx replies)
 * and default text. The named constructors below are the only way in.
 */
const REPLY_TABLE = {
  ok: [250, "2.0.0", "Ok"],
  senderOk: [250, "2.1.0", "Ok"],
  recipientOk: [250, "2.1.5", "Ok"],
  queued: [250, "2.0.0", "Ok: queued as"],
  chunkReceived: [250, "2.0.0", "Ok"],
  cannotVrfy: [252, "2.1.5", "Cannot VRFY user, but will accept message"],
  help: [214, "2.0.0", "See https://www.rfc-editor.org/rfc/rfc5321"],
  serviceClosing: [221, "2.0.0", "Bye"],
  startTls: [220, "2.0.0", "Ready to start TLS"],
  authSuccessful: [235, "2.7.0", "Authentication successful"],
  startData: [354, undefined, "End data with <CR><LF>.<CR><LF>"],
  tooManyErrors: [421, "4.7.0", "Error: too many errors"],
  tooManyCommands: [421, "4.7.0", "Error: too many commands"],
  timeout: [421, "4.4.2", "Error: timeout exceeded"],
  shuttingDown: [421, "4.3.2", "Service shutting down, closing transmission channel"],
  localError: [451, "4.3.0", "Error: local error in processing"],
  tooManyRecipients: [452, "4.5.3", "Error: too many recipients"],
  tlsUnavailable: [454, "4.7.0", "TLS not available due to temporary reason"],
  unknownCommand: [500, "5.5.2", "Error: command not recognized"],
  lineTooLong: [500, "5.5.2", "Error: line too long"],
  bareLineEnding: [500, "5.5.2", "Error: bare CR or LF in command line"],
  invalidCommandEncoding: [500, "5.5.2", "Error: invalid character in command line"],
  syntaxError: [501, "5.5.4", "Syntax error in parameters or arguments"],
  badSenderSyntax: [501, "5.1.7", "Bad sender address syntax"],
  badRecipientSyntax: [501, "5.1.3", "Bad recipient address syntax"],
  authAborted: [501, "5.7.0", "Authentication aborted"],
  authUndecodable: [501, "5.5.2", "Cannot decode response"],
  notImplemented: [502, "5.5.1", "Error: command not implemented"],
  badSequence: [503, "5.5.1", "Error: bad sequence of commands"],
  unsupportedMechanism: [504, "5.5.4", "Unsupported authentication mechanism"],
  authRequired: [530, "5.7.0", "Authentication required"],
  tlsRequired: [530, "5.7.0", "Must issue a STARTTLS command first"],
  authFailed: [535, "5.7.8", "Authentication credentials invalid"],
  encryptionRequired: [538, "5.7.11", "Encryption required for requested authentication mechanism"],
  mailboxUnavailable: [550, "5.1.1", "Recipient address rejected: mailbox unavailable"],
  bareLineEndingInMessage: [550, "5.6.0", "Error: message contains bare CR or LF characters"],
  messageLineTooLong: [550, "5.5.2", "Error: message line too long"],
  messageTooLarge: [552, "5.3.4", "Message size exceeds fixed maximum message size"],
  envelopeTooLarge: [552, "5.3.4", "Error: message envelope too large to queue"],
  utf8NotDeclared: [553, "5.6.7", "Must declare SMTPUTF8 to send unicode address"],
  noValidRecipients: [554, "5.5.1", "Error: no valid recipients"],
  relayDenied: [554, "5.7.1", "Relay access denied"],
  transactionFailed: [554, "5.0.0", "Error: transaction failed"],
  badParameter: [555, "5.5.4", "Unsupported or invalid parameter"],
} as const satisfies Record<string, readonly [number, string | undefined, string]>;

/** The name of a reply in the reply table. */
type ReplyName = keyof typeof REPLY_TABLE;

function fromTable(name: ReplyName, text?: string): Reply {
  const [code, enhanced, defaultText] = REPLY_TABLE[name];
  const lines = [text ?? defaultText];
  return enhanced === undefined ? { code, lines } : { code, enhanced, lines };
}

/**
 * `220 <hostname> <text>`: the greeting; never carries an enhanced code.
 *
 * @example
 * ```ts
 * import { greeting } from "./replies.ts";
 * greeting("mx.example.test").lines; // ["mx.example.test ESMTP Empath"]
 * ```
 */
export function greeting(hostname: string, text = "ESMTP Empath"): Reply {
  return { code: 220, lines: [`${hostname} ${text}`] };
}

/**
 * `250-<hostname>` followed by one line per extension: the EHLO reply.
 *
 * @example
 * ```ts
 * import { ehloReply } from "./replies.ts";
 * ehloReply("mx.example.test", ["PIPELINING"]).lines; // ["mx.example.test", "PIPELINING"]
 * ```
 */
export function ehloReply(hostname: string, extensions: readonly string[]): Reply {
  return { code: 250, lines: [hostname, ...extensions] };
}

/**
 * `250 <hostname>`: the HELO reply, without extensions.
 *
 * @example
 * ```ts
 * import { heloReply } from "./replies.ts";
 * heloReply("mx.example.test").code; // 250
 * ```
 */
export function heloReply(hostname: string): Reply {
  return { code: 250, lines: [hostname] };
}

/** `250 2.0.0 Ok`. @example `ok().code // 250` */
export function ok(text?: string): Reply {
  return fromTable("ok", text);
}

/** `250 2.1.0 Ok`: sender accepted. @example `senderOk().enhanced // "2.1.0"` */
export function senderOk(text?: string): Reply {
  return fromTable("senderOk", text);
}

/** `250 2.1.5 Ok`: recipient accepted. @example `recipientOk().enhanced // "2.1.5"` */
export function recipientOk(text?: string): Reply {
  return fromTable("recipientOk", text);
}

/**
 * `250 2.0.0 Ok: queued as <id>`: the message is safely queued.
 *
 * @example
 * ```ts
 * import { queued } from "./replies.ts";
 * queued("01ABC").lines; // ["Ok: queued as 01ABC"]
 * ```
 */
export function queued(id: string): Reply {
  return fromTable("queued", `${REPLY_TABLE.queued[2]} ${id}`);
}

/** `250 2.0.0 Ok: <n> octets received`: a non-final BDAT chunk (RFC 3030). @example `chunkReceived(10)` */
export function chunkReceived(octets: number): Reply {
  return fromTable("chunkReceived", `Ok: ${octets} octets received`);
}

/** `252 2.1.5 Cannot VRFY user, but will accept message` (RFC 5321 §3.5.3). @example `cannotVrfy().code // 252` */
export function cannotVrfy(): Reply {
  return fromTable("cannotVrfy");
}

/** `214 2.0.0`: the HELP reply. @example `help().code // 214` */
export function help(): Reply {
  return fromTable("help");
}

/** `221 2.0.0 Bye`: the QUIT reply. @example `serviceClosing().code // 221` */
export function serviceClosing(): Reply {
  return fromTable("serviceClosing");
}

/** `220 2.0.0 Ready to start TLS` (RFC 3207). @example `startTlsReady().code // 220` */
export function startTlsReady(): Reply {
  return fromTable("startTls");
}

/** `235 2.7.0 Authentication successful` (RFC 4954). @example `authSuccessful().code // 235` */
export function authSuccessful(): Reply {
  return fromTable("authSuccessful");
}

/** `334 <base64>`: an AUTH challenge; 3xx, so no enhanced code. @example `authChallenge("").code // 334` */
export function authChallenge(base64: string): Reply {
  return { code: 334, lines: [base64] };
}

/** `354 End data with <CR><LF>.<CR><LF>`: go ahead with DATA. @example `startData().code // 354` */
export function startData(): Reply {
  return fromTable("startData");
}

/** `421 4.7.0 <hostname> Error: too many errors`, then close. @example `tooManyErrors("mx").code // 421` */
export function tooManyErrors(hostname: string): Reply {
  return fromTable("tooManyErrors", `${hostname} ${REPLY_TABLE.tooManyErrors[2]}`);
}

/** `421 4.7.0 <hostname> Error: too many commands`, then close. @example `tooManyCommands("mx").code // 421` */
export function tooManyCommands(hostname: string): Reply {
  return fromTable("tooManyCommands", `${hostname} ${REPLY_TABLE.tooManyCommands[2]}`);
}

/** `421 4.4.2 <hostname> Error: timeout exceeded`, then close. @example `timeoutExceeded("mx").code // 421` */
export function timeoutExceeded(hostname: string): Reply {
  return fromTable("timeout", `${hostname} ${REPLY_TABLE.timeout[2]}`);
}

/** `421 4.3.2 <hostname> Service shutting down…`, then close. @example `shuttingDown("mx").code // 421` */
export function shuttingDown(hostname: string): Reply {
  return fromTable("shuttingDown", `${hostname} ${REPLY_TABLE.shuttingDown[2]}`);
}

/** `451 4.3.0 Error: local error in processing`: a temporary failure. @example `localError().code // 451` */
export function localError(text?: string): Reply {
  return fromTable("localError", text);
}

/** `452 4.5.3 Error: too many recipients` (RFC 5321 §4.5.3.1.10). @example `tooManyRecipients().code // 452` */
export function tooManyRecipients(): Reply {
  return fromTable("tooManyRecipients");
}

/** `454 4.7.0 TLS not available due to temporary reason` (RFC 3207). @example `tlsUnavailable().code // 454` */
export function tlsUnavailable(): Reply {
  return fromTable("tlsUnavailable");
}

/** `500 5.5.2 Error: command not recognized`. @example `unknownCommand().code // 500` */
export function unknownCommand(): Reply {
  return fromTable("unknownCommand");
}

/** `500 5.5.2 Error: line too long`: a command line over the limit. @example `lineTooLong().code // 500` */
export function lineTooLong(): Reply {
  return fromTable("lineTooLong");
}

/** `500 5.5.2 Error: bare CR or LF in command line`. @example `bareLineEnding().code // 500` */
export function bareLineEnding(): Reply {
  return fromTable("bareLineEnding");
}

/** `500 5.5.2`: a command line with invalid UTF-8 or control characters. @example `invalidCommandEncoding().code // 500` */
export function invalidCommandEncoding(): Reply {
  return fromTable("invalidCommandEncoding");
}

/** `501 5.5.4 <text>`: bad arguments. @example `syntaxError("Syntax: HELO hostname").code // 501` */
export function syntaxError(text?: string): Reply {
  return fromTable("syntaxError", text);
}

/** `501 5.1.7 Bad sender address syntax`. @example `badSenderSyntax().enhanced // "5.1.7"` */
export function badSenderSyntax(): Reply {
  return fromTable("badSenderSyntax");
}

/** `501 5.1.3 Bad recipient address syntax`. @example `badRecipientSyntax().enhanced // "5.1.3"` */
export function badRecipientSyntax(): Reply {
  return fromTable("badRecipientSyntax");
}

/** `501 5.7.0 Authentication aborted`: the client sent `*` (RFC 4954 §4). @example `authAborted().code // 501` */
export function authAborted(): Reply {
  return fromTable("authAborted");
}

/** `501 5.5.2 Cannot decode response`: malformed base64 in AUTH. @example `authUndecodable().code // 501` */
export function authUndecodable(): Reply {
  return fromTable("authUndecodable");
}

/** `502 5.5.1 Error: command not implemented`. @example `notImplemented().code // 502` */
export function notImplemented(): Reply {
  return fromTable("notImplemented");
}

/** `503 5.5.1 Error: bad sequence of commands`, or a more precise text. @example `badSequence().code // 503` */
export function badSequence(text?: string): Reply {
  return fromTable("badSequence", text);
}

/** `504 5.5.4 Unsupported authentication mechanism`. @example `unsupportedMechanism().code // 504` */
export function unsupportedMechanism(): Reply {
  return fromTable("unsupportedMechanism");
}

/** `530 5.7.0 Authentication required` (RFC 4954 §6). @example `authRequired().code // 530` */
export function authRequired(): Reply {
  return fromTable("authRequired");
}

/** `530 5.7.0 Must issue a STARTTLS command first` (RFC 3207 §4). @example `tlsRequired().code // 530` */
export function tlsRequired(): Reply {
  return fromTable("tlsRequired");
}

/** `535 5.7.8 Authentication credentials invalid` (RFC 4954 §6). @example `authFailed().code // 535` */
export function authFailed(): Reply {
  return fromTable("authFailed");
}

/** `538 5.7.11 Encryption required for requested authentication mechanism`. @example `encryptionRequired().code // 538` */
export function encryptionRequired(): Reply {
  return fromTable("encryptionRequired");
}

/**
 * `550 5.1.1 <address>: Recipient address rejected: mailbox unavailable`.
 *
 * @example
 * ```ts
 * import { mailboxUnavailable } from "./replies.ts";
 * mailboxUnavailable("a@example.test").lines; // ["<a@example.test>: Recipient address rejected: mailbox unavailable"]
 * ```
 */
export function mailboxUnavailable(address: string): Reply {
  return fromTable("mailboxUnavailable", `<${address}>: ${REPLY_TABLE.mailboxUnavailable[2]}`);
}

/** `550 5.6.0`: the message had a bare CR or LF (SMTP smuggling defence). @example `bareLineEndingInMessage().code // 550` */
export function bareLineEndingInMessage(): Reply {
  return fromTable("bareLineEndingInMessage");
}

/** `550 5.5.2 Error: message line too long` (RFC 5321 §4.5.3.1.6). @example `messageLineTooLong().code // 550` */
export function messageLineTooLong(): Reply {
  return fromTable("messageLineTooLong");
}

/** `552 5.3.4 Message size exceeds fixed maximum message size` (RFC 1870). @example `messageTooLarge().code // 552` */
export function messageTooLarge(): Reply {
  return fromTable("messageTooLarge");
}

/** `552 5.3.4 Error: message envelope too large to queue`: the record cannot be stored. @example `envelopeTooLarge().code // 552` */
export function envelopeTooLarge(): Reply {
  return fromTable("envelopeTooLarge");
}

/** `553 5.6.7`: a UTF-8 address without the SMTPUTF8 parameter (RFC 6531 §3.5). @example `utf8NotDeclared().code // 553` */
export function utf8NotDeclared(): Reply {
  return fromTable("utf8NotDeclared");
}

/** `554 5.5.1 Error: no valid recipients` (RFC 2920 §3.1). @example `noValidRecipients().code // 554` */
export function noValidRecipients(): Reply {
  return fromTable("noValidRecipients");
}

/**
 * `554 5.7.1 Relay access denied`, naming the address when given.
 *
 * @example
 * ```ts
 * import { relayDenied } from "./replies.ts";
 * relayDenied("a@example.org").lines; // ["<a@example.org>: Relay access denied"]
 * ```
 */
export function relayDenied(address?: string): Reply {
  const text = REPLY_TABLE.relayDenied[2];
  return fromTable("relayDenied", address === undefined ? text : `<${address}>: ${text}`);
}

/** `554 5.0.0 Error: transaction failed`. @example `transactionFailed().code // 554` */
export function transactionFailed(text?: string): Reply {
  return fromTable("transactionFailed", text);
}

/** `555 5.5.4 <text>`: an unknown or invalid MAIL/RCPT parameter (RFC 5321 §4.1.1.11). @example `badParameter().code // 555` */
export function badParameter(text?: string): Reply {
  return fromTable("badParameter", text);
}
