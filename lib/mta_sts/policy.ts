/** How a sender applies a policy (RFC 8461 §5). */
export type MtaStsMode = "enforce" | "testing" | "none";

/** The modes, as the policy file spells them. */
export const MTA_STS_MODES: readonly MtaStsMode[] = ["enforce", "testing", "none"];

/** The longest lifetime a policy may ask for, in seconds (RFC 8461 §3.2: about one year). */
export const MAX_POLICY_AGE_SECONDS = 31_557_600;

/** A parsed MTA-STS policy file (RFC 8461 §3.2). */
export interface MtaStsPolicy {
  /** What to do when an MX host or its TLS does not satisfy the policy. */
  readonly mode: MtaStsMode;
  /**
   * The MX host patterns: host names or `*.`-wildcards (RFC 8461 §4.1), lowercase, without a
   * trailing dot, in the order given. Empty only with mode `none`.
   */
  readonly mx: readonly string[];
  /** How long the policy may be cached, in seconds, at most {@linkcode MAX_POLICY_AGE_SECONDS}. */
  readonly maxAge: number;
}

/** The result of {@linkcode parsePolicy}: a policy, or why the text is not one. */
export type PolicyParseResult =
  | { readonly kind: "policy"; readonly policy: MtaStsPolicy }
  | { readonly kind: "invalid"; readonly reason: string };

const KEY_REGEXP = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
const MAX_AGE_REGEXP = /^\d{1,10}$/;
const LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const MX_PATTERN_REGEXP = new RegExp(`^(?:\\*\\.)?${LABEL}(?:\\.${LABEL})*$`);
const WSP = " \t";

/**
 * Parses the text of a policy file (`/.well-known/mta-sts.txt`, RFC 8461 §3.2):
 * `key: value` lines separated by LF or CRLF. `version` must be `STSv1`,
 * `mode` one of `enforce`, `testing`, `none`, `max_age` an integer of at most
 * ten digits (values above {@linkcode MAX_POLICY_AGE_SECONDS} are lowered to
 * it), and `mx` a host name or `*.` wildcard, at least once unless the mode is
 * `none`. Field names are case-sensitive. Unknown fields are ignored; when a
 * field other than `mx` appears twice, the first one counts. Blank lines are
 * skipped. Any other line makes the whole policy invalid.
 *
 * Never throws: every input gives a result.
 *
 * @param text The response body, decoded as UTF-8.
 * @returns The policy, or `invalid` with the first problem found.
 *
 * @example Usage
 * ```ts
 * import { parsePolicy } from "./policy.ts";
 * import assert from "node:assert/strict";
 *
 * const result = parsePolicy(
 *   "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n",
 * );
 * assert.deepEqual(result, {
 *   kind: "policy",
 *   policy: { mode: "enforce", mx: ["mail.example.com", "*.example.net"], maxAge: 604800 },
 * });
 * assert.equal(parsePolicy("<html>").kind, "invalid");
 * ```
 */
export function parsePolicy(text: string): PolicyParseResult {
  const fields = new Map<string, string>();
  const mx: string[] = [];
  for (const [index, raw] of text.split("\n").entries()) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (trimWsp(line) === "") continue;
    const colon = line.indexOf(":");
    const key = colon < 0 ? "" : line.slice(0, colon);
    if (!KEY_REGEXP.test(key)) return invalid(`line ${index + 1} is not a "key: value" field`);
    const value = trimWsp(line.slice(colon + 1));
    if (key !== "mx") {
      if (!fields.has(key)) fields.set(key, value);
      continue;
    }
    const pattern = mxPattern(value);
    if (pattern === undefined) return invalid(`mx "${clip(value)}" is not a host name pattern`);
    mx.push(pattern);
  }
  return policyFrom(fields, mx);
}

/**
 * Writes a policy in the file format, one field per CRLF-terminated line:
 * `version`, `mode`, each `mx`, `max_age`. {@linkcode parsePolicy} reads it
 * back unchanged.
 *
 * @param policy The policy.
 * @returns The file's text.
 *
 * @example Usage
 * ```ts
 * import { formatPolicy } from "./policy.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   formatPolicy({ mode: "testing", mx: ["mx.example.org"], maxAge: 86400 }),
 *   "version: STSv1\r\nmode: testing\r\nmx: mx.example.org\r\nmax_age: 86400\r\n",
 * );
 * ```
 */
export function formatPolicy(policy: MtaStsPolicy): string {
  const lines = [
    "version: STSv1",
    `mode: ${policy.mode}`,
    ...policy.mx.map((pattern) => `mx: ${pattern}`),
    `max_age: ${policy.maxAge}`,
  ];
  return lines.map((line) => `${line}\r\n`).join("");
}

function policyFrom(fields: Map<string, string>, mx: string[]): PolicyParseResult {
  const version = fields.get("version");
  if (version !== "STSv1") {
    return invalid(
      version === undefined ? "version is missing" : `version "${clip(version)}" is not "STSv1"`,
    );
  }
  const modeText = fields.get("mode");
  const mode = MTA_STS_MODES.find((candidate) => candidate === modeText);
  if (mode === undefined) {
    return invalid(
      modeText === undefined ? "mode is missing" : `mode "${clip(modeText)}" is unknown`,
    );
  }
  const maxAgeText = fields.get("max_age");
  if (maxAgeText === undefined) return invalid("max_age is missing");
  if (!MAX_AGE_REGEXP.test(maxAgeText)) {
    return invalid(`max_age "${clip(maxAgeText)}" is not an integer of at most 10 digits`);
  }
  if (mx.length === 0 && mode !== "none") return invalid(`mode ${mode} needs at least one mx`);
  const maxAge = Math.min(Number(maxAgeText), MAX_POLICY_AGE_SECONDS);
  return { kind: "policy", policy: { mode, mx, maxAge } };
}

// RFC 8461 §3.2: sts-policy-mx-value = ["*."] Domain; a trailing dot is tolerated.
function mxPattern(value: string): string | undefined {
  const lower = value.toLowerCase();
  const bare = lower.endsWith(".") ? lower.slice(0, -1) : lower;
  return bare.length <= 253 && MX_PATTERN_REGEXP.test(bare) ? bare : undefined;
}

function trimWsp(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && WSP.includes(text[start])) start++;
  while (end > start && WSP.includes(text[end - 1])) end--;
  return text.slice(start, end);
}

function clip(text: string): string {
  const printable = text.replace(/[^\x20-\x7e]/g, "?");
  return printable.length <= 40 ? printable : `${printable.slice(0, 37)}...`;
}

function invalid(reason: string): PolicyParseResult {
  return { kind: "invalid", reason: `Invalid MTA-STS policy: ${reason}` };
}
