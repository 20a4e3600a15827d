/**
 * What the `_mta-sts` TXT records of a domain say (RFC 8461 §3.1):
 *
 * - `record`: exactly one valid STS record, with its policy `id`;
 * - `none`: no record starts with `v=STSv1`: the domain has no policy;
 * - `invalid`: more than one STS record, or one that does not parse: the
 *   sender must act as if the domain had no policy, but may keep using a
 *   cached one.
 */
export type StsRecordResult =
  | { readonly kind: "record"; readonly id: string }
  | { readonly kind: "none" }
  | { readonly kind: "invalid"; readonly reason: string };

const STS_PREFIX_REGEXP = /^v=STSv1[ \t]*(?:;|$)/;
const ID_REGEXP = /^[A-Za-z0-9]{1,32}$/;
const EXTENSION_NAME_REGEXP = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
const EXTENSION_VALUE_REGEXP = /^[\x21-\x3a\x3c\x3e-\x7e]+$/;

/**
 * Picks the STS record among the TXT records of `_mta-sts.<domain>` and
 * parses it (RFC 8461 §3.1): records that do not begin with `v=STSv1` are
 * discarded; if not exactly one remains, or it is not valid
 * (`v=STSv1; id=<1 to 32 letters or digits>` plus optional extensions
 * `name=value`, fields separated by `;` with optional white space, an
 * optional final `;`), the domain has no usable record.
 *
 * Never throws.
 *
 * @param texts The TXT records, each one's strings already joined.
 * @returns The record's id, `none`, or why the records are unusable.
 *
 * @example Usage
 * ```ts
 * import { selectStsRecord } from "./txt_record.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(selectStsRecord(["v=spf1 -all", "v=STSv1; id=20160831085700Z;"]), {
 *   kind: "record",
 *   id: "20160831085700Z",
 * });
 * assert.deepEqual(selectStsRecord(["v=spf1 -all"]), { kind: "none" });
 * assert.equal(selectStsRecord(["v=STSv1; id=1", "v=STSv1; id=2"]).kind, "invalid");
 * ```
 */
export function selectStsRecord(texts: readonly string[]): StsRecordResult {
  const candidates = texts.filter((text) => STS_PREFIX_REGEXP.test(text));
  if (candidates.length === 0) return { kind: "none" };
  if (candidates.length > 1) {
    return { kind: "invalid", reason: `${candidates.length} STS records instead of one` };
  }
  return parseStsRecord(candidates[0]);
}

/**
 * Parses one STS TXT record (RFC 8461 §3.1).
 *
 * @param text The record's text.
 * @returns The record's id, or why it is invalid; never `none`.
 *
 * @example Usage
 * ```ts
 * import { parseStsRecord } from "./txt_record.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseStsRecord("v=STSv1 ; id=abc ; ext=1"), { kind: "record", id: "abc" });
 * assert.equal(parseStsRecord("v=STSv1; id=").kind, "invalid");
 * ```
 */
export function parseStsRecord(text: string): StsRecordResult {
  const fields = text.split(";").map((field) => field.replace(/^[ \t]+|[ \t]+$/g, ""));
  if (fields[0] !== "v=STSv1") return invalid(`it does not begin with "v=STSv1"`);
  // One empty field is allowed at the end (a final ";").
  const rest = fields.at(-1) === "" ? fields.slice(1, -1) : fields.slice(1);
  let id: string | undefined;
  for (const field of rest) {
    const equals = field.indexOf("=");
    const name = equals < 0 ? field : field.slice(0, equals);
    const value = equals < 0 ? "" : field.slice(equals + 1);
    if (name === "id") {
      if (!ID_REGEXP.test(value)) return invalid("the id is not 1 to 32 letters or digits");
      id ??= value;
    } else if (!EXTENSION_NAME_REGEXP.test(name) || !EXTENSION_VALUE_REGEXP.test(value)) {
      return invalid("a field is not name=value");
    }
  }
  return id === undefined ? invalid("it has no id") : { kind: "record", id };
}

function invalid(reason: string): StsRecordResult {
  return { kind: "invalid", reason: `Invalid STS record: ${reason}` };
}
