/** ESMTP parameters of MAIL and RCPT (RFC 5321 §4.1.2). */
import { badParameter, syntaxError } from "./replies.ts";
import { type Reply, SmtpSyntaxError } from "./reply.ts";
import {
  type DsnNotifyType,
  type DsnRet,
  encodeOrcpt,
  encodeXtext,
  isXtext,
  parseEnvid,
  parseNotify,
  parseOrcpt,
  parseRet,
} from "./_dsn_params.ts";

export type { DsnNotifyType, DsnRet };

/**
 * The parameters of a MAIL command the server supports: SIZE (RFC 1870),
 * BODY (RFC 6152), SMTPUTF8 (RFC 6531), AUTH (RFC 4954 §5), and DSN's RET and
 * ENVID (RFC 3461 §4.3, §4.4).
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
  /** DSN: return the full message or only its headers in a failure report. */
  readonly ret?: DsnRet;
  /** DSN: the envelope id, xtext-decoded (printable ASCII, at most 100 characters). */
  readonly envid?: string;
}

/** The parameters of a RCPT command: DSN's NOTIFY and ORCPT (RFC 3461 §4.1, §4.2). */
export interface RcptParams {
  /** When to report on this recipient: `["NEVER"]`, or some of SUCCESS, FAILURE, DELAY. */
  readonly notify?: readonly DsnNotifyType[];
  /** The original recipient as `<addr-type>;<decoded address>` (`rfc822` or `utf-8`). */
  readonly orcpt?: string;
}

const KEYWORD_REGEXP = /^[A-Za-z0-9][A-Za-z0-9-]*$/;
const VALUE_REGEXP = /^[\x21-\x3c\x3e-\x7e]+$/;
const DIGITS_REGEXP = /^\d{1,20}$/;

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

/** `501 5.5.4` for a DSN parameter with a bad value (as Postfix answers). */
function badValue(line: string, keyword: string): SmtpSyntaxError {
  return new SmtpSyntaxError(
    `Cannot parse command "${line}": invalid value for "${keyword}"`,
    syntaxError(`Bad ${keyword} parameter syntax`),
  );
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
 * @throws {SmtpSyntaxError} `501 5.5.4` for bad syntax, duplicates or bad RET
 * and ENVID values, `555 5.5.4` for unknown or invalid other parameters.
 * (Whether DSN is offered is checked later, by the session.)
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
  let params: MutableMailParams = { smtputf8: false };
  for (const [keyword, value] of splitParams(text, line)) {
    params = { ...params, ...mailParam(keyword, value, line) };
  }
  return params;
}

type MutableMailParams = { -readonly [K in keyof MailParams]: MailParams[K] };

/** One MAIL parameter as a partial {@link MailParams}. */
function mailParam(
  keyword: string,
  value: string | undefined,
  line: string,
): Partial<MutableMailParams> {
  switch (keyword) {
    case "SIZE":
      if (value === undefined || !DIGITS_REGEXP.test(value)) {
        throw invalid(line, keyword, "invalid value for");
      }
      return { size: Number(value) };
    case "BODY": {
      const body = value?.toUpperCase();
      if (body !== "7BIT" && body !== "8BITMIME") throw invalid(line, keyword, "unsupported");
      return { body };
    }
    case "SMTPUTF8":
      if (value !== undefined) throw invalid(line, keyword, "unexpected value for");
      return { smtputf8: true };
    case "AUTH":
      if (value === undefined || !isXtext(value)) throw invalid(line, keyword, "invalid value for");
      return { auth: value };
    case "RET":
      return { ret: parseRet(value) ?? throwError(badValue(line, keyword)) };
    case "ENVID":
      return { envid: parseEnvid(value) ?? throwError(badValue(line, keyword)) };
    default:
      throw invalid(line, keyword, "unsupported parameter");
  }
}

function throwError(error: Error): never {
  throw error;
}

/**
 * Parses the parameters after `RCPT TO:<…>`: DSN's NOTIFY and ORCPT.
 *
 * @throws {SmtpSyntaxError} `501 5.5.4` for bad syntax, duplicates or bad NOTIFY
 * and ORCPT values, `555 5.5.4` for any other parameter.
 *
 * @param text The parameters, space-separated, without the path.
 * @param line The whole command line, for error messages.
 * @returns The parsed parameters.
 *
 * @example
 * ```ts
 * import { parseRcptParams } from "./params.ts";
 * import assert from "node:assert/strict";
 * const params = parseRcptParams("notify=failure,success", "RCPT TO:<a@b> notify=failure,success");
 * assert.deepEqual(params, { notify: ["SUCCESS", "FAILURE"] });
 * ```
 */
export function parseRcptParams(text: string, line: string): RcptParams {
  let params: { notify?: DsnNotifyType[]; orcpt?: string } = {};
  for (const [keyword, value] of splitParams(text, line)) {
    switch (keyword) {
      case "NOTIFY":
        params = { ...params, notify: parseNotify(value) ?? throwError(badValue(line, keyword)) };
        break;
      case "ORCPT":
        params = { ...params, orcpt: parseOrcpt(value) ?? throwError(badValue(line, keyword)) };
        break;
      default:
        throw invalid(line, keyword, "unsupported parameter");
    }
  }
  return params;
}

/**
 * The `555 5.5.4` for DSN parameters (RET, ENVID, NOTIFY, ORCPT) when DSN is not
 * offered (RFC 5321 §4.1.1.11: a parameter of an extension not offered).
 *
 * @param params Parsed MAIL or RCPT parameters.
 * @param offered Whether DSN is advertised.
 * @returns The refusal, or undefined when the parameters may stand.
 *
 * @example
 * ```ts
 * import { dsnRefusal } from "./params.ts";
 * dsnRefusal({ notify: ["NEVER"] }, false)?.code; // 555
 * dsnRefusal({ notify: ["NEVER"] }, true); // undefined
 * ```
 */
export function dsnRefusal(
  params: Partial<MailParams> & RcptParams,
  offered: boolean,
): Reply | undefined {
  const keyword = offered ? undefined : dsnKeyword(params);
  return keyword === undefined
    ? undefined
    : badParameter(`Unsupported or invalid parameter ${keyword}`);
}

/** The first DSN parameter among parsed MAIL or RCPT parameters. */
function dsnKeyword(params: Partial<MailParams> & RcptParams): string | undefined {
  if (params.ret !== undefined) return "RET";
  if (params.envid !== undefined) return "ENVID";
  if (params.notify !== undefined) return "NOTIFY";
  if (params.orcpt !== undefined) return "ORCPT";
  return undefined;
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
  if (params.ret !== undefined) text += ` RET=${params.ret}`;
  if (params.envid !== undefined) text += ` ENVID=${encodeXtext(params.envid)}`;
  return text;
}

/**
 * Formats RCPT parameters (NOTIFY, then ORCPT in its xtext form), with a leading
 * space when any.
 *
 * @param params The parameters.
 * @returns `""` or ` NOTIFY=… ORCPT=…`.
 *
 * @example
 * ```ts
 * import { formatRcptParams } from "./params.ts";
 * formatRcptParams({ notify: ["SUCCESS"], orcpt: "rfc822;a+b@c" }); // " NOTIFY=SUCCESS ORCPT=rfc822;a+2Bb@c"
 * ```
 */
export function formatRcptParams(params: RcptParams): string {
  let text = "";
  if (params.notify !== undefined) text += ` NOTIFY=${params.notify.join(",")}`;
  if (params.orcpt !== undefined) text += ` ORCPT=${encodeOrcpt(params.orcpt)}`;
  return text;
}
