/**
 * The one place that defines how the audit trail is redacted: which record
 * fields each configurable name covers, and what a redacted value looks like.
 * Built on `redactByField` from `@logtape/redaction`, wrapped around the audit
 * sink, so nothing reaches the file or stdout unredacted.
 *
 * @module
 */
import type { Sink } from "@logtape/logtape";
import { redactByField } from "@logtape/redaction";

/** What stands in for a redacted value or local part. */
export const REDACTED = "[REDACTED]";

/** The audit fields an operator may redact (`[observe.audit] redact`). */
export type AuditField = "sender" | "recipients" | "client_ip" | "auth_user" | "helo";

/** Every {@linkcode AuditField}. */
export const AUDIT_FIELDS: readonly AuditField[] = [
  "sender",
  "recipients",
  "client_ip",
  "auth_user",
  "helo",
];

/** The audit record properties each configurable field covers. */
const FIELD_PROPERTIES: Readonly<Record<AuditField, readonly string[]>> = {
  sender: ["sender"],
  recipients: ["recipients", "recipient"],
  client_ip: ["client_ip"],
  auth_user: ["auth_user"],
  helo: ["helo"],
};

/** Free-text properties that may quote addresses (a remote server's reply). */
const TEXT_PROPERTIES: readonly string[] = ["reply"];

/**
 * A local part in free text: a quoted string or a run of characters that are
 * not delimiters, right before an `@`.
 */
const LOCAL_PART_IN_TEXT_REGEXP = /(?:"(?:[^"\\\r\n]|\\.)*"|[^\s<>"(),;:@[\]]+)(?=@)/gu;

/**
 * Redacts one address, keeping its domain: `user@example.com` →
 * `[REDACTED]@example.com`. The split is at the last `@`, so a quoted local
 * part holding an `@` is hidden whole. The null sender (`""` or `"<>"`) is
 * kept; a value without `@` is replaced whole.
 *
 * @param value The address.
 * @returns The redacted address.
 */
export function redactAddress(value: string): string {
  if (value === "" || value === "<>") return value;
  const at = value.lastIndexOf("@");
  return at < 0 ? REDACTED : `${REDACTED}${value.slice(at)}`;
}

/**
 * Redacts a field value: strings as addresses (an IP address or HELO name has
 * no `@`, so it is replaced whole), arrays item by item, anything else whole.
 *
 * @param value The value of a redacted field.
 * @returns The redacted value.
 */
export function redactValue(value: unknown): unknown {
  if (typeof value === "string") return redactAddress(value);
  if (Array.isArray(value)) return value.map(redactValue);
  return value === undefined || value === null ? value : REDACTED;
}

/**
 * Redacts the local part of every address quoted in free text, such as a
 * remote reply `550 5.1.1 <bob@example.org>: unknown user`.
 *
 * @param value The text.
 * @returns The text with each local part replaced.
 */
export function redactAddressesInText(value: unknown): unknown {
  if (typeof value !== "string") return value === undefined ? value : REDACTED;
  return value.replace(LOCAL_PART_IN_TEXT_REGEXP, REDACTED);
}

/**
 * Wraps an audit sink so the configured fields are redacted before it sees a
 * record. When senders, recipients or user names are redacted, free text
 * (replies) loses every address it quotes and every occurrence of the
 * record's own redacted local parts, such as a Maildir path
 * `…/maildir/bob` in a local delivery reply.
 *
 * @param sink The sink that writes audit records.
 * @param fields The fields to redact.
 * @returns The redacting sink.
 */
export function redactAuditSink(sink: Sink, fields: readonly AuditField[]): Sink {
  const properties = [...new Set(fields)].flatMap((field) => FIELD_PROPERTIES[field]);
  if (properties.length === 0) return sink;
  let redacted = redactByField(sink, { fieldPatterns: properties, action: redactValue });
  const addressFields = fields.filter((field) => field !== "client_ip" && field !== "helo");
  if (addressFields.length === 0) return redacted;
  redacted = redactByField(redacted, {
    fieldPatterns: [...TEXT_PROPERTIES],
    action: redactAddressesInText,
  });
  const names = addressFields.flatMap((field) => FIELD_PROPERTIES[field]);
  // Outermost: it must see the address fields before they are redacted.
  return redactKnownLocalParts(redacted, names);
}

/** Replaces, in text properties, the local parts of the record's own `names` properties. */
function redactKnownLocalParts(sink: Sink, names: readonly string[]): Sink {
  return (record) => {
    // Most records (MessageReceived, DeliverySuccess) carry no free text: no pattern to build.
    if (!TEXT_PROPERTIES.some((name) => typeof record.properties[name] === "string")) {
      return sink(record);
    }
    const pattern = localPartsPattern(names.flatMap((name) => [record.properties[name]].flat()));
    if (pattern === undefined) return sink(record);
    const properties = { ...record.properties };
    for (const name of TEXT_PROPERTIES) {
      const text = properties[name];
      if (typeof text === "string") properties[name] = text.replace(pattern, REDACTED);
    }
    sink({ ...record, properties });
  };
}

/**
 * A pattern matching any of the local parts of `values` (the whole value when
 * it has no `@`) as a token: not inside a longer word, case-insensitive.
 */
function localPartsPattern(values: readonly unknown[]): RegExp | undefined {
  const parts = new Set<string>();
  for (const value of values) {
    if (typeof value !== "string") continue;
    const at = value.lastIndexOf("@");
    const local = at < 0 ? value : value.slice(0, at);
    if (local === "" || local === "<>") continue;
    parts.add(local);
    if (/^".*"$/.test(local)) parts.add(local.slice(1, -1));
  }
  if (parts.size === 0) return undefined;
  const alternatives = [...parts].sort((a, b) => b.length - a.length).map(escapeRegExp);
  return new RegExp(`(?<![\\p{L}\\p{N}])(?:${alternatives.join("|")})(?![\\p{L}\\p{N}])`, "giu");
}

function escapeRegExp(text: string): string {
  // The syntax characters: with the `u` flag no other character may be escaped.
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");
}
