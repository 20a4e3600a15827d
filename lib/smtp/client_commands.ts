/**
 * Command lines and locally made replies of the SMTP client.
 *
 * @module
 */
import { formatMailParams, formatRcptParams, type MailParams } from "./params.ts";
import type { Reply } from "./reply.ts";
import type { ClientCredentials, ServerCapabilities, TransactionRequest } from "./client_types.ts";

// deno-lint-ignore no-control-regex
const UNSAFE_ADDRESS_REGEXP = /[\x00-\x20<>\x7f]/;
const encoder = new TextEncoder();

/**
 * Encodes command lines for the wire, each followed by CRLF.
 *
 * @param lines Command lines without CRLF.
 * @returns The bytes to write.
 *
 * @example
 * ```ts
 * import { encodeCommands } from "./client_commands.ts";
 * new TextDecoder().decode(encodeCommands(["RSET"])); // "RSET\r\n"
 * ```
 */
export function encodeCommands(lines: readonly string[]): Uint8Array {
  return encoder.encode(lines.map((line) => `${line}\r\n`).join(""));
}

/**
 * Checks that the addresses of a request cannot break the command syntax.
 *
 * @param request The transaction request.
 * @throws {TypeError} For no recipients, or an address with spaces, control
 * characters or angle brackets.
 *
 * @example
 * ```ts
 * import { assertSafeRequest } from "./client_commands.ts";
 * assertSafeRequest({ reversePath: "", recipients: ["a@b.example"], size: 1, needsSmtputf8: false, eightBit: false });
 * ```
 */
export function assertSafeRequest(request: TransactionRequest): void {
  if (request.recipients.length === 0) {
    throw new TypeError("Cannot deliver a message: no recipients");
  }
  for (const address of [request.reversePath, ...request.recipients]) {
    if (UNSAFE_ADDRESS_REGEXP.test(address)) {
      throw new TypeError(`Cannot deliver a message: unsafe address "${JSON.stringify(address)}"`);
    }
  }
}

/**
 * The MAIL command for a request, with the parameters the server offers:
 * SIZE (RFC 1870), BODY=8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531), RET and ENVID
 * (RFC 3461).
 *
 * @param request The transaction request.
 * @param caps The server's extensions.
 * @returns The command line, without CRLF.
 *
 * @example
 * ```ts
 * import { mailCommand } from "./client_commands.ts";
 * import { NO_CAPABILITIES } from "./client_capabilities.ts";
 * const request = { reversePath: "a@b.example", recipients: ["c@d.example"], size: 10, needsSmtputf8: false, eightBit: false };
 * mailCommand(request, { ...NO_CAPABILITIES, size: 0 }); // "MAIL FROM:<a@b.example> SIZE=10"
 * ```
 */
export function mailCommand(request: TransactionRequest, caps: ServerCapabilities): string {
  const eightBit = request.eightBit || request.needsSmtputf8;
  const params: MailParams = {
    smtputf8: request.needsSmtputf8 && caps.smtputf8,
    ...(caps.size !== undefined ? { size: request.size } : {}),
    ...(eightBit && caps.eightBitMime ? { body: "8BITMIME" as const } : {}),
    // RFC 3461 §6.2.1: pass RET and ENVID on to a server that offers DSN.
    ...(caps.dsn && request.dsn?.ret !== undefined ? { ret: request.dsn.ret } : {}),
    ...(caps.dsn && request.dsn?.envid !== undefined ? { envid: request.dsn.envid } : {}),
  };
  return `MAIL FROM:<${request.reversePath}>${formatMailParams(params)}`;
}

/**
 * A reply made up by the client when a message cannot be sent to this
 * server at all: larger than its SIZE, or needing SMTPUTF8 it lacks.
 *
 * @param request The transaction request.
 * @param caps The server's extensions.
 * @returns The reply for every recipient, or undefined when the message can be sent.
 *
 * @example
 * ```ts
 * import { refusalBeforeMail } from "./client_commands.ts";
 * import { NO_CAPABILITIES } from "./client_capabilities.ts";
 * const request = { reversePath: "", recipients: ["c@d.example"], size: 10, needsSmtputf8: true, eightBit: true };
 * refusalBeforeMail(request, NO_CAPABILITIES)?.enhanced; // "5.6.7"
 * ```
 */
export function refusalBeforeMail(
  request: TransactionRequest,
  caps: ServerCapabilities,
): Reply | undefined {
  if (caps.size !== undefined && caps.size > 0 && request.size > caps.size) {
    return {
      code: 552,
      enhanced: "5.3.4",
      lines: [
        `Message size ${request.size} exceeds the server's limit of ${caps.size} octets (SIZE)`,
      ],
    };
  }
  if (request.needsSmtputf8 && !caps.smtputf8) {
    return {
      code: 550,
      enhanced: "5.6.7",
      lines: ["Message needs SMTPUTF8 but the server does not offer it"],
    };
  }
  return undefined;
}

/**
 * The AUTH command to start with, PLAIN preferred over LOGIN (RFC 4954).
 *
 * @param credentials The credentials.
 * @param mechanisms The mechanisms the server offers.
 * @returns The command line and mechanism, or undefined when neither is offered.
 *
 * @example
 * ```ts
 * import { authCommand } from "./client_commands.ts";
 * authCommand({ username: "u", password: "p" }, ["PLAIN"])?.line; // "AUTH PLAIN AHUAcA=="
 * ```
 */
export function authCommand(
  credentials: ClientCredentials,
  mechanisms: readonly string[],
): { line: string; mechanism: "PLAIN" | "LOGIN" } | undefined {
  if (mechanisms.includes("PLAIN")) {
    const response = base64(`\0${credentials.username}\0${credentials.password}`);
    return { line: `AUTH PLAIN ${response}`, mechanism: "PLAIN" };
  }
  if (mechanisms.includes("LOGIN")) return { line: "AUTH LOGIN", mechanism: "LOGIN" };
  return undefined;
}

/**
 * Base64 of a string's UTF-8 bytes, for SASL responses.
 *
 * @param text The text.
 * @returns The base64 encoding.
 *
 * @example
 * ```ts
 * import { base64 } from "./client_commands.ts";
 * base64("user"); // "dXNlcg=="
 * ```
 */
export function base64(text: string): string {
  let binary = "";
  for (const byte of encoder.encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * The RCPT command for the request's recipient at `index`, with its NOTIFY and
 * ORCPT when the server offers DSN (RFC 3461 §6.2.1).
 *
 * @param request The transaction request.
 * @param index The recipient's index in `request.recipients`.
 * @param caps The server's extensions.
 * @returns The command line, without CRLF.
 *
 * @example
 * ```ts
 * import { rcptCommand } from "./client_commands.ts";
 * import { NO_CAPABILITIES } from "./client_capabilities.ts";
 * const request = {
 *   reversePath: "", recipients: ["c@d.example"], size: 10, needsSmtputf8: false, eightBit: false,
 *   dsn: { recipients: [{ notify: ["NEVER" as const] }] },
 * };
 * rcptCommand(request, 0, { ...NO_CAPABILITIES, dsn: true }); // "RCPT TO:<c@d.example> NOTIFY=NEVER"
 * ```
 */
export function rcptCommand(
  request: TransactionRequest,
  index: number,
  caps: Pick<ServerCapabilities, "dsn">,
): string {
  const params = caps.dsn ? request.dsn?.recipients?.[index] : undefined;
  return `RCPT TO:<${request.recipients[index]}>${params ? formatRcptParams(params) : ""}`;
}
