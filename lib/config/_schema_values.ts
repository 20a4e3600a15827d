import { z } from "zod";
import { parseIp } from "./_ip.ts";
import { parseCidr } from "./cidr.ts";
import { parseDuration } from "./duration.ts";
import { formatHostPort, parseHostPort } from "./host_port.ts";
import { parseListenAddress } from "./listen_address.ts";
import { isPasswordHash } from "./password.ts";
import { parseRate } from "./rate.ts";
import { parseSize } from "./size.ts";

const DOMAIN_REGEXP =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/**
 * A schema for one TOML value checked by `convert`, which returns the value to keep or
 * `undefined` to reject it. A rejection reads `invalid value <value>: expected <expected>`;
 * with `isSecret` the value is not shown (a password pasted in place of its hash).
 */
export function checkedValue<T>(
  expected: string,
  convert: (input: unknown) => T | undefined,
  options: { isSecret?: boolean } = {},
) {
  return z.unknown().transform((input, context): T => {
    const value = input === undefined ? undefined : convert(input);
    if (value !== undefined) return value;
    const shown = input === undefined
      ? "missing required key"
      : `invalid value ${options.isSecret ? "(not shown)" : showValue(input)}`;
    context.addIssue({ code: "custom", message: `${shown}: expected ${expected}`, input });
    return z.NEVER;
  });
}

/** Renders a TOML value for an error message, cut short if long. */
export function showValue(input: unknown): string {
  let shown: string;
  if (input instanceof Date) shown = `(a date-time) ${input.toISOString()}`;
  else if (typeof input === "object" && input !== null && !Array.isArray(input)) {
    shown = "(a table)";
  } else shown = JSON.stringify(input) ?? String(input);
  return shown.length > 80 ? `${shown.slice(0, 77)}...` : shown;
}

function attempt<T>(convert: () => T): T | undefined {
  try {
    return convert();
  } catch {
    return undefined;
  }
}

/** An integer from `min` to `max`. */
export function integerValue(min: number, max = Number.MAX_SAFE_INTEGER) {
  const expected = max === Number.MAX_SAFE_INTEGER
    ? `an integer >= ${min}`
    : `an integer from ${min} to ${max}`;
  return checkedValue(expected, (input) => {
    const isInRange = Number.isSafeInteger(input) && (input as number) >= min &&
      (input as number) <= max;
    return isInRange ? input as number : undefined;
  });
}

/** A boolean. */
export function booleanValue() {
  return checkedValue("true or false", (input) => typeof input === "boolean" ? input : undefined);
}

/** A non-empty string (surrounding white space is trimmed). */
export function textValue(what = "a non-empty string") {
  return checkedValue(what, (input) => {
    const text = typeof input === "string" ? input.trim() : "";
    return text === "" ? undefined : text;
  });
}

/** One of the given strings. */
export function choiceValue<const T extends string>(choices: readonly T[]) {
  const expected = `one of ${choices.map((choice) => `"${choice}"`).join(", ")}`;
  return checkedValue(expected, (input) => choices.find((choice) => choice === input));
}

/** A duration in milliseconds, from text like `"30s"` or integer milliseconds; at least `min`. */
export function durationValue(min = 1) {
  const expected =
    `a duration such as "300ms", "30s", "5m", "1h" or "5d" (or integer milliseconds) of at least ${min}ms`;
  return checkedValue(expected, (input) => {
    if (typeof input !== "string" && typeof input !== "number") return undefined;
    const milliseconds = attempt(() => parseDuration(input));
    return milliseconds !== undefined && milliseconds >= min ? milliseconds : undefined;
  });
}

/** A size in bytes, from an integer or text like `"35MB"`; at least `min`. */
export function sizeValue(min = 1) {
  const expected =
    `a size in bytes such as 35000000, "35MB", "10MiB" or "512KB" of at least ${min} bytes`;
  return checkedValue(expected, (input) => {
    if (typeof input !== "string" && typeof input !== "number") return undefined;
    const bytes = attempt(() => parseSize(input));
    return bytes !== undefined && bytes >= min ? bytes : undefined;
  });
}

/** Whether the text is a domain name (letters, digits, hyphens, dots; any case). */
export function isDomainName(text: string): boolean {
  return DOMAIN_REGEXP.test(text);
}

/** A domain name, lowercased. */
export function domainValue() {
  return checkedValue('a domain name such as "example.test"', (input) => {
    const isDomain = typeof input === "string" && DOMAIN_REGEXP.test(input);
    return isDomain ? input.toLowerCase() : undefined;
  });
}

/** A domain name, lowercased, or `"*"` for every domain. */
export function routeDomainValue() {
  return checkedValue(
    'a domain name such as "example.test", or "*" for every other domain',
    (input) => {
      const isDomain = typeof input === "string" && (input === "*" || DOMAIN_REGEXP.test(input));
      return isDomain ? input.toLowerCase() : undefined;
    },
  );
}

/** A network in CIDR notation, kept as written. */
export function cidrValue() {
  const expected =
    'an IPv4 or IPv6 network such as "10.0.0.0/8" or "2001:db8::/32" with no host bits set';
  return checkedValue(expected, (input) => {
    const isCidr = typeof input === "string" && attempt(() => parseCidr(input)) !== undefined;
    return isCidr ? input.trim() : undefined;
  });
}

/** A listen address `"host:port"` or `"[ipv6]:port"`. */
export function listenAddressValue() {
  const expected = '"host:port" or "[ipv6]:port" with a port from 0 to 65535';
  return checkedValue(expected, (input) => {
    const isAddress = typeof input === "string" &&
      attempt(() => parseListenAddress(input)) !== undefined;
    return isAddress ? input : undefined;
  });
}

/** A rate in events per second from text like `"10/s"`, `"100/m"`, `"1000/h"` or a number. */
export function rateValue() {
  const expected = 'a rate above 0 such as "10/s", "100/m" or "1000/h" (or a number per second)';
  return checkedValue(expected, (input) => {
    if (typeof input !== "string" && typeof input !== "number") return undefined;
    return attempt(() => parseRate(input));
  });
}

/**
 * A destination `"host[:port]"` or `"[ipv6][:port]"`, written back as `"host:port"` with
 * `defaultPort` filled in. With `isIpOnly` the host must be an IP address.
 */
export function destinationValue(defaultPort: number, options: { isIpOnly?: boolean } = {}) {
  const host = options.isIpOnly ? "an IPv4 or IPv6 address" : "a host name or IP address";
  const expected =
    `"host:port" or "[ipv6]:port" where host is ${host} and the port (default ${defaultPort}) is from 1 to 65535`;
  return checkedValue(expected, (input) => {
    if (typeof input !== "string") return undefined;
    const destination = attempt(() => parseHostPort(input, defaultPort));
    if (destination === undefined) return undefined;
    if (options.isIpOnly && parseIp(destination.hostname) === undefined) return undefined;
    return formatHostPort(destination);
  });
}

/** An LMTP server: `"host:port"`, `"[ipv6]:port"` or `"unix:/path/to/socket"`. */
export function lmtpTargetValue() {
  const expected = '"host:port", "[ipv6]:port" (port from 1 to 65535) or "unix:/path/to/socket"';
  return checkedValue(expected, (input) => {
    if (typeof input !== "string") return undefined;
    const text = input.trim();
    if (text.startsWith("unix:")) return text.length > "unix:".length ? text : undefined;
    const destination = attempt(() => parseHostPort(text));
    return destination === undefined ? undefined : formatHostPort(destination);
  });
}

/** A non-empty secret string (kept as written), never shown in an error. */
export function secretValue() {
  return checkedValue("a non-empty string", (input) => {
    return typeof input === "string" && input !== "" ? input : undefined;
  }, { isSecret: true });
}

/** An scrypt password hash from `empath config hash-password`. */
export function passwordHashValue() {
  const expected =
    'an scrypt hash "$scrypt$ln=14,r=8,p=1$<salt>$<hash>" from `empath config hash-password`';
  return checkedValue(expected, (input) => {
    const isHash = typeof input === "string" && isPasswordHash(input);
    return isHash ? input : undefined;
  }, { isSecret: true });
}

/**
 * Adds an issue for each of `values` that an earlier one repeats, at `[index, key]`:
 * `duplicate <key> "<value>": expected each <each> once`.
 *
 * @param options `key`: the field the values come from; `each`: what must be unique (default: `key`).
 */
export function reportDuplicates(
  values: readonly string[],
  context: z.RefinementCtx,
  options: { readonly key: string; readonly each?: string },
): void {
  const { key, each = key } = options;
  const seen = new Set<string>();
  for (const [index, value] of values.entries()) {
    if (seen.has(value)) {
      context.addIssue({
        code: "custom",
        path: [index, key],
        message: `duplicate ${key} "${value}": expected each ${each} once`,
        input: value,
      });
    }
    seen.add(value);
  }
}

/** An array whose items all pass `item`. */
export function arrayValue<T extends z.ZodType>(item: T, minLength = 0) {
  return z.array(item).min(minLength);
}
