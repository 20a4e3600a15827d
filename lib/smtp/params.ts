/** ESMTP parameters of MAIL and RCPT (RFC 5321 §4.1.2). */
import { badParameter, syntaxError } from "./replies.ts";
import { SmtpSyntaxError } from "./reply.ts";

/**
 * The parameters of a MAIL command the server supports: SIZE (RFC 1870),
 * BODY (RFC 6152), SMTPUTF8 (RFC 6531) and AUTH (RFC 4954 §5).
 */
export interface MailParams {
  /** The declared message size in octets. */
  readonly size?: number;
  /** The declared body type; BINARYMIME is refused. */
  readonly body?: "7BIT" | "8BITMIME";
  /** Whether SMTPUTF8 was given. */
  readonly smtputf8: boolean;
  /** The AUTH= value, still xtext-encoded (`<>` when unknown). */
  readonly auth?: string;
}

/** The parameters of a RCPT command: none are supported (no DSN). */
export type RcptParams = Record<string, never>;

const KEYWORD_REGEXP = /^[A-Za-z0-9][A-Za-z0-9-]*$/;
const VALUE_REGEXP = /^[\x21-\x3c\x3e-\x7e]+$/;
const DIGITS_REGEXP = /^\d{1,20}$/;
const XTEXT_REGEXP = /^(?:[\x21-\x2a\x2c-\x3c\x3e-\x7e]|\+[0-9A-F]{2})+$/;

/** Splits `KEY=VALUE KEY2` into a map of upper-cased keywords to values. */
function splitParams(text: string, line: string): Map<string, string | undefined> {
  const params = new Map<string, string | undefined>();
  if (text === "") return params;
  for (const token of text.split(/ +/)) {
    const equals = token.indexOf("=");
    const keyword = (equals < 0 ? token : token.slice(0, equals)).toUpperCase();
    const value = equals < 0 ? undefined : token.slice(equals + 1);
    if (!KEYWORD_REGEXP.test(keyword) || (value !== undefined && !VALUE_REGEXP.test(value))) {
      throw new SmtpSyntaxError(
        `Cannot parse command "${line}": bad parameter syntax "${token}"`,
        syntaxError("Bad parameter syntax"),
      );
    }
    if (params.has(keyword)) {
      throw new SmtpSyntaxError(
        `Cannot parse command "${line}": duplicate parameter "${keyword}"`,
        syntaxError(`Duplicate ${keyword} parameter`),
      );
    }
    params.set(keyword, value);
  }
  return params;
}

function invalid(line: string, keyword: string, detail: string): SmtpSyntaxError {
  return new SmtpSyntaxError(
    `Cannot parse command "${line}": ${detail} "${keyword}"`,
    badParameter(`Unsupported or invalid parameter ${keyword}`),
  );
}

/**
 * Parses the parameters after `MAIL FROM:<…>`.
 *
 * @throws {SmtpSyntaxError} `501 5.5.4` for bad syntax or duplicates, `555
 * 5.5.4` for unknown or invalid parameters (including DSN's RET and ENVID,
 * which are not advertised).
 *
 * @param text The parameters, space-separated, without the path.
 * @param line The whole command line, for error messages.
 * @returns The parsed parameters.
 *
 * @example
 * ```ts
 * import { parseMailParams } from "./params.ts";
 * import assert from "node:assert/strict";
 * const params = parseMailParams("size=1000 BODY=8bitmime", "MAIL FROM:<> size=1000 BODY=8bitmime");
 * assert.deepEqual(params, { smtputf8: false, size: 1000, body: "8BITMIME" });
 * ```
 */
export function parseMailParams(text: string, line: string): MailParams {
  let params: { -readonly [K in keyof MailParams]: MailParams[K] } = { smtputf8: false };
  for (const [keyword, value] of splitParams(text, line)) {
    switch (keyword) {
      case "SIZE":
        if (value === undefined || !DIGITS_REGEXP.test(value)) {
          throw invalid(line, keyword, "invalid value for");
        }
        params = { ...params, size: Number(value) };
        break;
      case "BODY": {
        const body = value?.toUpperCase();
        if (body !== "7BIT" && body !== "8BITMIME") throw invalid(line, keyword, "unsupported");
        params = { ...params, body };
        break;
      }
      case "SMTPUTF8":
        if (value !== undefined) throw invalid(line, keyword, "unexpected value for");
        params = { ...params, smtputf8: true };
        break;
      case "AUTH":
        if (value === undefined || !XTEXT_REGEXP.test(value)) {
          throw invalid(line, keyword, "invalid value for");
        }
        params = { ...params, auth: value };
        break;
      default:
        throw invalid(line, keyword, "unsupported parameter");
    }
  }
  return params;
}

/**
 * Parses the parameters after `RCPT TO:<…>`: none are supported.
 *
 * @throws {SmtpSyntaxError} `501 5.5.4` for bad syntax, `555 5.5.4` for any
 * parameter (NOTIFY and ORCPT need DSN, which is not advertised).
 *
 * @param text The parameters, space-separated, without the path.
 * @param line The whole command line, for error messages.
 * @returns An empty object.
 *
 * @example
 * ```ts
 * import { parseRcptParams } from "./params.ts";
 * parseRcptParams("", "RCPT TO:<a@b>"); // {}
 * ```
 */
export function parseRcptParams(text: string, line: string): RcptParams {
  for (const keyword of splitParams(text, line).keys()) {
    throw invalid(line, keyword, "unsupported parameter");
  }
  return {};
}

/**
 * Formats MAIL parameters in a fixed order, with a leading space when any.
 *
 * @param params The parameters.
 * @returns `""` or ` SIZE=… BODY=… SMTPUTF8 AUTH=…`.
 *
 * @example
 * ```ts
 * import { formatMailParams } from "./params.ts";
 * formatMailParams({ smtputf8: true, size: 10 }); // " SIZE=10 SMTPUTF8"
 * ```
 */
export function formatMailParams(params: MailParams): string {
  let text = "";
  if (params.size !== undefined) text += ` SIZE=${params.size}`;
  if (params.body !== undefined) text += ` BODY=${params.body}`;
  if (params.smtputf8) text += " SMTPUTF8";
  if (params.auth !== undefined) text += ` AUTH=${params.auth}`;
  return text;
}
