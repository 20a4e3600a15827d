import { selectTagRecord, tagRecordFields } from "../dns/mod.ts";

/**
 * What the `_smtp._tls.<domain>` TXT records of a domain say (RFC 8460 §3):
 *
 * - `record`: exactly one valid TLSRPT record, with its report destinations (`rua`) that Empath
 *   can use (`mailto:` and `https:` URIs; others are left out);
 * - `none`: no record starts with `v=TLSRPTv1`: the domain wants no reports;
 * - `invalid`: more than one TLSRPT record, or one that does not parse: the domain must be
 *   treated as not implementing TLSRPT.
 */
export type TlsRptRecordResult =
  | { readonly kind: "record"; readonly rua: readonly string[] }
  | { readonly kind: "none" }
  | { readonly kind: "invalid"; readonly reason: string };

/** RFC 3986 URI characters, without white space, `,` (which separates URIs) and `;`. */
const URI_REGEXP = /^[A-Za-z][A-Za-z0-9+.-]*:[\x21-\x2b\x2d-\x3a\x3c-\x7e]+$/;

/**
 * Picks the TLSRPT record among the TXT records of `_smtp._tls.<domain>` and parses it
 * (RFC 8460 §3): records that do not begin with `v=TLSRPTv1` are discarded; if not exactly one
 * remains, or it is not valid, the domain has no usable record.
 *
 * Never throws.
 *
 * @param texts The TXT records, each one's strings already joined.
 * @returns The destinations, `none`, or why the records are unusable.
 *
 * @example Usage
 * ```ts
 * import { selectTlsRptRecord } from "./txt_record.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   selectTlsRptRecord(["v=spf1 -all", "v=TLSRPTv1; rua=mailto:tlsrpt@example.org"]),
 *   { kind: "record", rua: ["mailto:tlsrpt@example.org"] },
 * );
 * assert.deepEqual(selectTlsRptRecord([]), { kind: "none" });
 * ```
 */
export function selectTlsRptRecord(texts: readonly string[]): TlsRptRecordResult {
  const selected = selectTagRecord(texts, "TLSRPTv1");
  if (selected.kind === "none") return selected;
  if (selected.kind === "many") {
    return { kind: "invalid", reason: `${selected.count} TLSRPT records instead of one` };
  }
  return parseTlsRptRecord(selected.text);
}

/**
 * Parses one TLSRPT TXT record (RFC 8460 §3): `v=TLSRPTv1`, then fields separated by `;` with
 * optional white space and an optional final `;`: one `rua=` with one or more URIs separated
 * by `,` (commas inside a URI must be percent-encoded), and extensions `name=value`. URIs other
 * than `mailto:` and `https:` are valid but left out of `rua`; a record without a usable one is
 * `invalid`.
 *
 * Never throws.
 *
 * @param text The record's text.
 * @returns The usable destinations, or why the record is invalid; never `none`.
 *
 * @example Usage
 * ```ts
 * import { parseTlsRptRecord } from "./txt_record.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   parseTlsRptRecord("v=TLSRPTv1; rua=mailto:a@example.org, https://r.example.org/v1"),
 *   { kind: "record", rua: ["mailto:a@example.org", "https://r.example.org/v1"] },
 * );
 * assert.equal(parseTlsRptRecord("v=TLSRPTv1;").kind, "invalid");
 * ```
 */
export function parseTlsRptRecord(text: string): TlsRptRecordResult {
  const parsed = tagRecordFields(text, "TLSRPTv1", ["rua"]);
  if (parsed.kind === "invalid") return invalid(parsed.reason);
  let uris: string[] | undefined;
  for (const [name, value] of parsed.fields) {
    if (name !== "rua") continue;
    if (uris !== undefined) return invalid("it has more than one rua field");
    uris = value.split(",").map((uri) => uri.replace(/^[ \t]+|[ \t]+$/g, ""));
    if (!uris.every((uri) => URI_REGEXP.test(uri))) return invalid("an rua URI is not valid");
  }
  if (uris === undefined) return invalid("it has no rua field");
  const rua = uris.filter((uri) => /^(?:mailto|https):/i.test(uri));
  if (rua.length === 0) return invalid("no rua URI is mailto: or https:");
  return { kind: "record", rua };
}

/**
 * Formats a TLSRPT record (the inverse of {@linkcode parseTlsRptRecord} for usable URIs).
 *
 * @param rua The destinations, each a `mailto:` or `https:` URI without white space, `,` or `;`.
 * @returns The TXT record's text.
 *
 * @example Usage
 * ```ts
 * import { formatTlsRptRecord } from "./txt_record.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatTlsRptRecord(["mailto:a@example.org"]), "v=TLSRPTv1; rua=mailto:a@example.org");
 * ```
 */
export function formatTlsRptRecord(rua: readonly string[]): string {
  return `v=TLSRPTv1; rua=${rua.join(",")}`;
}

function invalid(reason: string): TlsRptRecordResult {
  return { kind: "invalid", reason: `Invalid TLSRPT record: ${reason}` };
}
