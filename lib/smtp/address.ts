import { badRecipientSyntax, badSenderSyntax, utf8NotDeclared } from "./replies.ts";
import { SmtpSyntaxError } from "./reply.ts";
import { isAddressLiteral, isDomainName } from "./_domain.ts";

/**
 * A mailbox in a reverse-path or forward-path.
 *
 * `<Postmaster>` without a domain (RFC 5321 §4.5.1, RCPT only) is a mailbox
 * with `localPart: "Postmaster"`, `domain: ""` and `address: "Postmaster"`.
 */
export interface MailboxPath {
  /** Discriminant. */
  readonly kind: "mailbox";
  /** The local part, unquoted: `"a b"@x` has local part `a b`. */
  readonly localPart: string;
  /** The domain or address literal, lowercased (`[IPv6:…]` keeps its tag). */
  readonly domain: string;
  /** Canonical `local@domain`: quoted only where needed, domain lowercased. */
  readonly address: string;
}

/** The null reverse-path `<>`, used by bounces (RFC 5321 §4.5.5). */
export interface NullPath {
  /** Discriminant. */
  readonly kind: "null";
}

/** A parsed RFC 5321 §4.1.2 Reverse-path or Forward-path. */
export type Path = NullPath | MailboxPath;

/** Options of {@link parsePath}. */
export interface ParsePathOptions {
  /** Whether UTF-8 is allowed (the transaction declared SMTPUTF8, RFC 6531). */
  utf8: boolean;
  /**
   * Whether `<>` is allowed, i.e. this is a reverse-path. Also selects the
   * enhanced code of syntax errors: `5.1.7` (sender) or `5.1.3` (recipient).
   * @default {false}
   */
  allowNull?: boolean;
  /** Whether the domain-less `<Postmaster>` is allowed (RCPT only). @default {false} */
  allowPostmaster?: boolean;
}

/** RFC 5321 §4.5.3.1.1–3 limits, in octets. */
const MAX_LOCAL_PART = 64;
const MAX_DOMAIN = 255;
const MAX_PATH = 256;

const ATOM_REGEXP = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+$/;
const ATOM_UTF8_REGEXP = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\u{10FFFF}]+$/u;
const QUOTED_CONTENT_REGEXP = /^(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*$/;
const QUOTED_CONTENT_UTF8_REGEXP =
  /^(?:[\x20\x21\x23-\x5b\x5d-\x7e\u0080-\u{10FFFF}]|\\[\x20-\x7e])*$/u;
const QUOTED_PAIR_REGEXP = /\\([\x20-\x7e])/g;
const NEEDS_ESCAPE_REGEXP = /["\\]/g;
// deno-lint-ignore no-control-regex
const NON_ASCII_REGEXP = /[^\x00-\x7f]/;
const AT_DOMAIN_REGEXP = /^@([^,@]+)$/;

const encoder = new TextEncoder();

/**
 * Parses an RFC 5321 §4.1.2 path such as `<user@example.test>`.
 *
 * Accepts dot-string and quoted local parts, domain names and address literals
 * (`[192.0.2.1]`, `[IPv6:2001:db8::1]`); source routes (`<@a,@b:user@c>`) are
 * accepted and ignored (RFC 5321 Appendix C). UTF-8 is accepted only with
 * `utf8` (RFC 6531). Lengths are checked in UTF-8 octets: local part 64,
 * domain 255, path 256.
 *
 * @param text The path, including the angle brackets.
 * @param options What the caller allows.
 * @returns The parsed path.
 * @throws {SmtpSyntaxError} `501 5.1.7`/`5.1.3` for bad syntax, `553 5.6.7`
 * for UTF-8 without `utf8`.
 *
 * @example
 * ```ts
 * import { parsePath } from "./address.ts";
 * import assert from "node:assert/strict";
 * const path = parsePath("<\"john doe\"@Example.TEST>", { utf8: false });
 * assert.deepEqual(path, {
 *   kind: "mailbox",
 *   localPart: "john doe",
 *   domain: "example.test",
 *   address: "\"john doe\"@example.test",
 * });
 * ```
 */
export function parsePath(text: string, options: ParsePathOptions): Path {
  const fail = (detail: string): never => {
    const reply = options.allowNull ? badSenderSyntax() : badRecipientSyntax();
    throw new SmtpSyntaxError(`Cannot parse path "${text.slice(0, 300)}": ${detail}`, reply);
  };
  if (!text.startsWith("<") || !text.endsWith(">") || text.length < 2) {
    return fail("expected angle brackets");
  }
  if (!options.utf8 && NON_ASCII_REGEXP.test(text)) {
    throw new SmtpSyntaxError(
      `Cannot parse path "${text.slice(0, 300)}": UTF-8 without SMTPUTF8`,
      utf8NotDeclared(),
    );
  }
  const inner = text.slice(1, -1);
  if (inner === "") {
    return options.allowNull ? { kind: "null" } : fail("null path not allowed here");
  }
  if (options.allowPostmaster && inner.toLowerCase() === "postmaster") {
    return { kind: "mailbox", localPart: "Postmaster", domain: "", address: "Postmaster" };
  }
  const path = parseMailbox(stripSourceRoute(inner, fail), options.utf8, fail);
  // Checked last, so the local-part and domain limits are reported first.
  if (encoder.encode(text).length > MAX_PATH) return fail(`longer than ${MAX_PATH} octets`);
  return path;
}

/** RFC 5321 §4.1.2 A-d-l: `@a,@b:` before the mailbox, checked and dropped. */
function stripSourceRoute(inner: string, fail: (detail: string) => never): string {
  if (!inner.startsWith("@")) return inner;
  const colon = inner.indexOf(":");
  if (colon < 0) return fail("source route without a colon");
  for (const hop of inner.slice(0, colon).split(",")) {
    const match = AT_DOMAIN_REGEXP.exec(hop);
    if (match === null || !isDomainName(match[1], true)) return fail("bad source route");
  }
  return inner.slice(colon + 1);
}

function parseMailbox(mailbox: string, utf8: boolean, fail: (detail: string) => never): Path {
  const at = mailbox.lastIndexOf("@");
  if (at < 0) return fail('expected "@"');
  const rawLocal = mailbox.slice(0, at);
  const rawDomain = mailbox.slice(at + 1);
  if (encoder.encode(rawLocal).length > MAX_LOCAL_PART) {
    return fail(`local part longer than ${MAX_LOCAL_PART} octets`);
  }
  if (encoder.encode(rawDomain).length > MAX_DOMAIN) {
    return fail(`domain longer than ${MAX_DOMAIN} octets`);
  }
  const localPart = parseLocalPart(rawLocal, utf8);
  if (localPart === undefined) return fail("bad local part");
  if (!isAddressLiteral(rawDomain) && !isDomainName(rawDomain, utf8)) return fail("bad domain");
  return mailboxPath(localPart, rawDomain);
}

function parseLocalPart(raw: string, utf8: boolean): string | undefined {
  if (raw.startsWith('"')) {
    if (raw.length < 2 || !raw.endsWith('"')) return undefined;
    const content = raw.slice(1, -1);
    const pattern = utf8 ? QUOTED_CONTENT_UTF8_REGEXP : QUOTED_CONTENT_REGEXP;
    return pattern.test(content) ? content.replace(QUOTED_PAIR_REGEXP, "$1") : undefined;
  }
  return isDotString(raw, utf8) ? raw : undefined;
}

function isDotString(text: string, utf8: boolean): boolean {
  const pattern = utf8 ? ATOM_UTF8_REGEXP : ATOM_REGEXP;
  return text.split(".").every((atom) => pattern.test(atom));
}

/**
 * Builds a mailbox path from an unquoted local part and a domain, with the
 * canonical `address` (quoted only where needed, domain lowercased). Does not
 * validate: use {@link parsePath} for untrusted input.
 *
 * @param localPart The local part, unquoted.
 * @param domain A domain name or address literal.
 * @returns The mailbox path.
 *
 * @example
 * ```ts
 * import { mailboxPath } from "./address.ts";
 * mailboxPath("a b", "Example.TEST").address; // "\"a b\"@example.test"
 * ```
 */
export function mailboxPath(localPart: string, domain: string): MailboxPath {
  const canonicalDomain = canonicalizeDomain(domain);
  const address = `${quoteLocalPart(localPart)}@${canonicalDomain}`;
  return { kind: "mailbox", localPart, domain: canonicalDomain, address };
}

function canonicalizeDomain(domain: string): string {
  if (domain.slice(0, 6).toLowerCase() === "[ipv6:") {
    return `[IPv6:${domain.slice(6).toLowerCase()}`;
  }
  return domain.toLowerCase();
}

function quoteLocalPart(localPart: string): string {
  if (localPart !== "" && isDotString(localPart, true)) return localPart;
  return `"${localPart.replace(NEEDS_ESCAPE_REGEXP, "\\$&")}"`;
}

/**
 * Formats a path for the wire: `<>` or `<address>`; the inverse of
 * {@link parsePath} (source routes are not kept).
 *
 * @param path The path to format.
 * @returns The path in angle brackets.
 *
 * @example
 * ```ts
 * import { formatPath } from "./address.ts";
 * formatPath({ kind: "null" }); // "<>"
 * ```
 */
export function formatPath(path: Path): string {
  return path.kind === "null" ? "<>" : `<${path.address}>`;
}

/**
 * Whether a path contains non-ASCII characters, i.e. needs SMTPUTF8.
 *
 * @param path The path to check.
 * @returns True for an internationalized address.
 *
 * @example
 * ```ts
 * import { isUtf8Path, mailboxPath } from "./address.ts";
 * isUtf8Path(mailboxPath("jörg", "example.test")); // true
 * ```
 */
export function isUtf8Path(path: Path): boolean {
  return path.kind === "mailbox" && NON_ASCII_REGEXP.test(path.address);
}
