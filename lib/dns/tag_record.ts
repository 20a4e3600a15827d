/**
 * TXT records in the tag-list form that MTA-STS (RFC 8461 §3.1) and SMTP TLS Reporting
 * (RFC 8460 §3) share: `v=<version>` first, then `name=value` fields separated by `;` with
 * optional white space around them and an optional final `;`. Each protocol reads its own
 * fields; any other field must be a valid extension (`name` of 1 to 32 letters, digits, `_`, `.`
 * or `-`; `value` of printable characters other than `=` and `;`).
 *
 * @module
 */

/** Which of a name's TXT records carry the wanted version: none, exactly one, or several. */
export type TagRecordSelection =
  | { readonly kind: "none" }
  | { readonly kind: "one"; readonly text: string }
  | { readonly kind: "many"; readonly count: number };

/** A parsed record's fields after the version, in order, or why it does not parse. */
export type TagRecordFields =
  | { readonly kind: "fields"; readonly fields: readonly (readonly [string, string])[] }
  | { readonly kind: "invalid"; readonly reason: string };

const EXTENSION_NAME_REGEXP = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
const EXTENSION_VALUE_REGEXP = /^[\x21-\x3a\x3c\x3e-\x7e]+$/;

/**
 * Picks the records that begin with `v=<version>` (then white space, `;` or the end); the
 * others (SPF and the like) are ignored.
 *
 * @param texts The TXT records, each one's strings already joined.
 * @param version The version tag's value, such as `STSv1`.
 * @returns None, the one record, or how many there are.
 *
 * @example Usage
 * ```ts
 * import { selectTagRecord } from "./tag_record.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(selectTagRecord(["v=spf1 -all", "v=STSv1; id=1"], "STSv1"), {
 *   kind: "one",
 *   text: "v=STSv1; id=1",
 * });
 * assert.deepEqual(selectTagRecord(["v=STSv10; id=1"], "STSv1"), { kind: "none" });
 * ```
 */
export function selectTagRecord(texts: readonly string[], version: string): TagRecordSelection {
  const prefix = `v=${version}`;
  const candidates = texts.filter((text) =>
    text.startsWith(prefix) && /^[ \t]*(?:;|$)/.test(text.slice(prefix.length))
  );
  if (candidates.length === 0) return { kind: "none" };
  if (candidates.length > 1) return { kind: "many", count: candidates.length };
  return { kind: "one", text: candidates[0] };
}

/**
 * Splits a record into its fields after `v=<version>`. Fields named in `known` are returned
 * whatever their value (the caller checks it); any other field must be a valid extension.
 * Never throws.
 *
 * @param text The record.
 * @param version The version tag's value, such as `TLSRPTv1`.
 * @param known The field names the caller reads.
 * @returns The fields as `[name, value]`, or why the record is invalid.
 *
 * @example Usage
 * ```ts
 * import { tagRecordFields } from "./tag_record.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(tagRecordFields("v=STSv1 ; id=abc ; ext=1;", "STSv1", ["id"]), {
 *   kind: "fields",
 *   fields: [["id", "abc"], ["ext", "1"]],
 * });
 * assert.equal(tagRecordFields("v=STSv1; id=1; bad field", "STSv1", ["id"]).kind, "invalid");
 * ```
 */
export function tagRecordFields(
  text: string,
  version: string,
  known: readonly string[],
): TagRecordFields {
  const parts = text.split(";").map((part) => part.replace(/^[ \t]+|[ \t]+$/g, ""));
  if (parts[0] !== `v=${version}`) {
    return { kind: "invalid", reason: `it does not begin with "v=${version}"` };
  }
  // One empty field is allowed at the end (a final ";").
  const rest = parts.at(-1) === "" ? parts.slice(1, -1) : parts.slice(1);
  const fields: [string, string][] = [];
  for (const field of rest) {
    const equals = field.indexOf("=");
    const name = equals < 0 ? field : field.slice(0, equals);
    const value = equals < 0 ? "" : field.slice(equals + 1);
    const isExtension = EXTENSION_NAME_REGEXP.test(name) && EXTENSION_VALUE_REGEXP.test(value);
    if (!known.includes(name) && !isExtension) {
      return { kind: "invalid", reason: "a field is not name=value" };
    }
    fields.push([name, value]);
  }
  return { kind: "fields", fields };
}
