import { formatPath, parsePath, type Path } from "./address.ts";
import {
  formatMailParams,
  type MailParams,
  parseMailParams,
  parseRcptParams,
  type RcptParams,
} from "./params.ts";
import { invalidCommandEncoding, syntaxError, unknownCommand } from "./replies.ts";
import { SmtpSyntaxError } from "./reply.ts";

/** A parsed SMTP command (RFC 5321 §4.1.1, RFC 3030, RFC 3207, RFC 4954). */
export type Command =
  | { readonly verb: "EHLO" | "HELO"; readonly domain: string }
  | { readonly verb: "MAIL"; readonly reversePath: Path; readonly params: MailParams }
  | { readonly verb: "RCPT"; readonly forwardPath: Path; readonly params: RcptParams }
  | { readonly verb: "DATA" }
  | { readonly verb: "BDAT"; readonly size: number; readonly last: boolean }
  | { readonly verb: "RSET" }
  | { readonly verb: "NOOP" }
  | { readonly verb: "QUIT" }
  | { readonly verb: "VRFY"; readonly arg: string }
  | { readonly verb: "EXPN"; readonly arg: string }
  | { readonly verb: "HELP"; readonly arg?: string }
  | { readonly verb: "STARTTLS" }
  | { readonly verb: "AUTH"; readonly mechanism: string; readonly initialResponse?: string };

/** A command verb. */
export type Verb = Command["verb"];

/** Options of {@link parseCommand}. */
export interface ParseCommandOptions {
  /**
   * Whether the current transaction declared SMTPUTF8, which allows UTF-8 in
   * RCPT paths (RFC 6531 §3.5). MAIL decides by its own SMTPUTF8 parameter.
   * @default {false}
   */
  utf8?: boolean;
}

// deno-lint-ignore no-control-regex
const CONTROL_REGEXP = /[\x00-\x1f\x7f]/;
const TRAILING_SPACES_REGEXP = / +$/;
const LEADING_SPACES_REGEXP = /^ +/;
const BDAT_REGEXP = /^(\d{1,15})(?: +(LAST))?$/i;
const AUTH_REGEXP = /^([A-Za-z0-9_-]{1,20})(?: +([^ ]+))?$/;

/**
 * Parses one command line (without its CRLF).
 *
 * Verbs are case-insensitive; trailing spaces are ignored; `MAIL FROM: <a@b>`
 * (a space after the colon) is accepted, as Postfix does.
 *
 * @param line The command line, decoded as UTF-8, without CRLF.
 * @param options Whether UTF-8 is allowed in RCPT paths.
 * @returns The parsed command.
 * @throws {SmtpSyntaxError} `500 5.5.2` for an unknown verb or control
 * characters, `501` for bad arguments, `553 5.6.7` for UTF-8 without
 * SMTPUTF8, `555 5.5.4` for unknown or invalid MAIL/RCPT parameters.
 *
 * @example
 * ```ts
 * import { parseCommand } from "./command.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseCommand("mail from:<a@Example.TEST> SIZE=100"), {
 *   verb: "MAIL",
 *   reversePath: { kind: "mailbox", localPart: "a", domain: "example.test", address: "a@example.test" },
 *   params: { smtputf8: false, size: 100 },
 * });
 * ```
 */
export function parseCommand(line: string, options: ParseCommandOptions = {}): Command {
  if (CONTROL_REGEXP.test(line)) {
    throw new SmtpSyntaxError("Cannot parse command: control character", invalidCommandEncoding());
  }
  const trimmed = line.replace(TRAILING_SPACES_REGEXP, "");
  const space = trimmed.indexOf(" ");
  const verb = (space < 0 ? trimmed : trimmed.slice(0, space)).toUpperCase();
  const args = space < 0 ? "" : trimmed.slice(space + 1).replace(LEADING_SPACES_REGEXP, "");
  const fail = (detail: string, usage: string): never => {
    throw new SmtpSyntaxError(
      `Cannot parse ${verb} command "${line}": ${detail}`,
      syntaxError(usage),
    );
  };
  switch (verb) {
    case "EHLO":
    case "HELO":
      return args === ""
        ? fail("expected a domain", `Syntax: ${verb} hostname`)
        : { verb, domain: args };
    case "MAIL":
      return parseMail(args, line, fail);
    case "RCPT":
      return parseRcpt(args, line, options.utf8 ?? false, fail);
    case "DATA":
    case "RSET":
    case "QUIT":
    case "STARTTLS":
      return args === "" ? { verb } : fail("unexpected arguments", `Syntax: ${verb}`);
    case "NOOP":
      return { verb }; // RFC 5321 §4.1.1.9: an argument is allowed and ignored
    case "BDAT":
      return parseBdat(args, fail);
    case "VRFY":
    case "EXPN":
      return args === ""
        ? fail("expected an argument", `Syntax: ${verb} address`)
        : { verb, arg: args };
    case "HELP":
      return args === "" ? { verb } : { verb, arg: args };
    case "AUTH":
      return parseAuth(args, fail);
    default:
      throw new SmtpSyntaxError(
        `Cannot parse command "${line.slice(0, 100)}": unknown verb`,
        unknownCommand(),
      );
  }
}

type Fail = (detail: string, usage: string) => never;

/** Splits `FROM:<path> params` into the path text and the parameter text. */
function splitPath(args: string, keyword: string, fail: Fail, usage: string) {
  if (args.slice(0, keyword.length).toUpperCase() !== keyword) {
    return fail(`expected "${keyword}"`, usage);
  }
  const rest = args.slice(keyword.length).replace(LEADING_SPACES_REGEXP, "");
  if (!rest.startsWith("<")) return fail('expected "<"', usage);
  const end = findPathEnd(rest);
  if (end < 0) return fail('expected ">"', usage);
  const params = rest.slice(end + 1);
  if (params !== "" && !params.startsWith(" ")) {
    return fail("expected a space after the path", usage);
  }
  return { path: rest.slice(0, end + 1), params: params.replace(LEADING_SPACES_REGEXP, "") };
}

/** The index of the `>` closing a path, skipping quoted strings; -1 if none. */
function findPathEnd(text: string): number {
  let quoted = false;
  for (let index = 1; index < text.length; index++) {
    const char = text[index];
    if (quoted && char === "\\") index++;
    else if (char === '"') quoted = !quoted;
    else if (char === ">" && !quoted) return index;
  }
  return -1;
}

function parseMail(args: string, line: string, fail: Fail): Command {
  const parts = splitPath(args, "FROM:", fail, "Syntax: MAIL FROM:<address>");
  const params = parseMailParams(parts.params, line);
  const reversePath = parsePath(parts.path, { utf8: params.smtputf8, allowNull: true });
  return { verb: "MAIL", reversePath, params };
}

function parseRcpt(args: string, line: string, utf8: boolean, fail: Fail): Command {
  const parts = splitPath(args, "TO:", fail, "Syntax: RCPT TO:<address>");
  const params = parseRcptParams(parts.params, line);
  const forwardPath = parsePath(parts.path, { utf8, allowPostmaster: true });
  return { verb: "RCPT", forwardPath, params };
}

function parseBdat(args: string, fail: Fail): Command {
  const match = BDAT_REGEXP.exec(args);
  if (match === null) return fail("expected a chunk size", "Syntax: BDAT size [LAST]");
  return { verb: "BDAT", size: Number(match[1]), last: match[2] !== undefined };
}

function parseAuth(args: string, fail: Fail): Command {
  const match = AUTH_REGEXP.exec(args);
  if (match === null) return fail("expected a mechanism", "Syntax: AUTH mechanism [response]");
  const mechanism = match[1].toUpperCase();
  return match[2] === undefined
    ? { verb: "AUTH", mechanism }
    : { verb: "AUTH", mechanism, initialResponse: match[2] };
}

/**
 * Formats a command as its canonical line, without CRLF; the inverse of
 * {@link parseCommand}.
 *
 * @param command The command to format.
 * @returns The command line.
 *
 * @example
 * ```ts
 * import { formatCommand } from "./command.ts";
 * formatCommand({ verb: "BDAT", size: 10, last: true }); // "BDAT 10 LAST"
 * ```
 */
export function formatCommand(command: Command): string {
  switch (command.verb) {
    case "EHLO":
    case "HELO":
      return `${command.verb} ${command.domain}`;
    case "MAIL":
      return `MAIL FROM:${formatPath(command.reversePath)}${formatMailParams(command.params)}`;
    case "RCPT":
      return `RCPT TO:${formatPath(command.forwardPath)}`;
    case "BDAT":
      return `BDAT ${command.size}${command.last ? " LAST" : ""}`;
    case "VRFY":
    case "EXPN":
      return `${command.verb} ${command.arg}`;
    case "HELP":
      return command.arg === undefined ? "HELP" : `HELP ${command.arg}`;
    case "AUTH":
      return command.initialResponse === undefined
        ? `AUTH ${command.mechanism}`
        : `AUTH ${command.mechanism} ${command.initialResponse}`;
    case "DATA":
    case "RSET":
    case "NOOP":
    case "QUIT":
    case "STARTTLS":
      return command.verb;
    default:
      return unreachable(command);
  }
}

function unreachable(value: never): never {
  throw new TypeError(`Cannot format command: unexpected value "${JSON.stringify(value)}"`);
}
