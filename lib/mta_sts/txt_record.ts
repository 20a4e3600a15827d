import { selectTagRecord, tagRecordFields } from "../dns/mod.ts";

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

const ID_REGEXP = /^[A-Za-z0-9]{1,32}$/;

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
  const selected = selectTagRecord(texts, "STSv1");
  if (selected.kind === "none") return selected;
  if (selected.kind === "many") {
    return { kind: "invalid", reason: `${selected.count} STS records instead of one` };
  }
  return parseStsRecord(selected.text);
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
  const parsed = tagRecordFields(text, "STSv1", ["id"]);
  if (parsed.kind === "invalid") return invalid(parsed.reason);
  let id: string | undefined;
  for (const [name, value] of parsed.fields) {
    if (name !== "id") continue;
    if (!ID_REGEXP.test(value)) return invalid("the id is not 1 to 32 letters or digits");
    id ??= value;
  }
  return id === undefined ? invalid("it has no id") : { kind: "record", id };
}

function invalid(reason: string): StsRecordResult {
  return { kind: "invalid", reason: `Invalid STS record: ${reason}` };
}
