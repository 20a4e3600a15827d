// Values of the DSN parameters (RFC 3461 §4): RET and ENVID on MAIL, NOTIFY and
// ORCPT on RCPT. Private to lib/smtp; params.ts calls them.
import {
  decodeUtf8AddrXtext,
  decodeXtext,
  encodeUtf8AddrXtext,
  encodeXtext,
  isXtext,
} from "./xtext.ts";

/** RFC 3461 §4.1 NOTIFY values; `NEVER` only alone. */
export type DsnNotifyType = "NEVER" | "SUCCESS" | "FAILURE" | "DELAY";

/** RFC 3461 §4.3 RET values. */
export type DsnRet = "FULL" | "HDRS";

/** RFC 3461 §4.4: an ENVID is at most 100 characters. */
export const MAX_ENVID_LENGTH = 100;
/** RFC 3461 §4.2: the ORCPT value is at most 500 characters (we count its encoded form). */
export const MAX_ORCPT_LENGTH = 500;

const PRINTABLE_REGEXP = /^[\x20-\x7e]+$/;
const NOTIFY_ORDER: readonly DsnNotifyType[] = ["SUCCESS", "FAILURE", "DELAY"];
const ADDR_TYPE_REGEXP = /^([A-Za-z0-9][A-Za-z0-9-]*);(.+)$/;

/** The RET value, or undefined when invalid. */
export function parseRet(value: string | undefined): DsnRet | undefined {
  const ret = value?.toUpperCase();
  return ret === "FULL" || ret === "HDRS" ? ret : undefined;
}

/** The decoded ENVID (printable ASCII, ≤ 100 characters), or undefined when invalid. */
export function parseEnvid(value: string | undefined): string | undefined {
  const envid = value === undefined ? undefined : decodeXtext(value);
  if (envid === undefined || envid.length > MAX_ENVID_LENGTH) return undefined;
  return PRINTABLE_REGEXP.test(envid) ? envid : undefined;
}

/**
 * The NOTIFY list in canonical order (`["NEVER"]` or some of SUCCESS, FAILURE,
 * DELAY), or undefined when invalid: unknown or repeated words, NEVER with others.
 */
export function parseNotify(value: string | undefined): DsnNotifyType[] | undefined {
  if (value === undefined) return undefined;
  const words = value.toUpperCase().split(",");
  if (words.length === 1 && words[0] === "NEVER") return ["NEVER"];
  if (new Set(words).size !== words.length) return undefined;
  if (!words.every((word) => (NOTIFY_ORDER as readonly string[]).includes(word))) return undefined;
  return NOTIFY_ORDER.filter((type) => words.includes(type));
}

/**
 * The ORCPT as `<addr-type>;<decoded address>` with the type in lower case, or
 * undefined when invalid. `rfc822` carries xtext of printable ASCII; `utf-8`
 * (RFC 6533) carries utf-8-addr-xtext. Other address types are refused.
 */
export function parseOrcpt(value: string | undefined): string | undefined {
  if (value === undefined || value.length > MAX_ORCPT_LENGTH) return undefined;
  const match = ADDR_TYPE_REGEXP.exec(value);
  if (match === null) return undefined;
  const type = match[1].toLowerCase();
  if (type === "rfc822") {
    const address = decodeXtext(match[2]);
    return address !== undefined && PRINTABLE_REGEXP.test(address)
      ? `rfc822;${address}`
      : undefined;
  }
  if (type === "utf-8") {
    const address = decodeUtf8AddrXtext(match[2]);
    return address === undefined ? undefined : `utf-8;${address}`;
  }
  return undefined;
}

/**
 * An ORCPT as stored (`<addr-type>;<decoded>`) in its wire form: xtext for
 * `rfc822`, utf-8-addr-xtext for `utf-8`.
 */
export function encodeOrcpt(orcpt: string): string {
  const semicolon = orcpt.indexOf(";");
  const type = orcpt.slice(0, semicolon);
  const address = orcpt.slice(semicolon + 1);
  return type === "utf-8"
    ? `utf-8;${encodeUtf8AddrXtext(address)}`
    : `${type};${encodeXtext(address)}`;
}

export { encodeXtext, isXtext };
