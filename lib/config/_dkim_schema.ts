import { z } from "zod";
import type { DkimConfig } from "./types.ts";
import {
  arrayValue,
  booleanValue,
  checkedValue,
  choiceValue,
  domainValue,
  isDomainName,
  showValue,
  textValue,
} from "./_schema_values.ts";

/** RFC 5322 §3.6.8: a field name is printable ASCII except the colon. */
const FIELD_NAME_REGEXP = /^[\x21-\x39\x3b-\x7e]+$/;

/** The header fields signed when `headers` is not set (RFC 6376 §5.4.1 recommends these). */
export const DEFAULT_SIGNED_HEADERS: readonly string[] = [
  "From",
  "To",
  "Cc",
  "Subject",
  "Date",
  "Message-ID",
  "Reply-To",
  "MIME-Version",
  "Content-Type",
  "Content-Transfer-Encoding",
  "In-Reply-To",
  "References",
];

/** The header fields over-signed when `oversign` is not set. */
export const DEFAULT_OVERSIGNED_HEADERS: readonly string[] = ["From"];

function fieldNameValue() {
  return checkedValue('a header field name such as "Subject"', (input) => {
    const isName = typeof input === "string" && FIELD_NAME_REGEXP.test(input);
    return isName ? input : undefined;
  });
}

/** A DKIM selector (RFC 6376 §3.1): dot-separated labels, like a domain name; lowercased. */
function selectorValue() {
  const expected = 'a selector such as "s1" or "2024-01" (letters, digits, hyphens, dots)';
  return checkedValue(expected, (input) => {
    const isSelector = typeof input === "string" && isDomainName(input);
    return isSelector ? input.toLowerCase() : undefined;
  });
}

function reportNameProblems(names: readonly string[], key: string, context: z.RefinementCtx) {
  const seen = new Set<string>();
  for (const [index, name] of names.entries()) {
    const lower = name.toLowerCase();
    if (seen.has(lower)) {
      context.addIssue({
        code: "custom",
        path: [key, index],
        message: `duplicate header field "${name}": expected each name once`,
        input: name,
      });
    }
    if (lower === "dkim-signature") {
      context.addIssue({
        code: "custom",
        path: [key, index],
        message: 'invalid value "DKIM-Signature": a signature cannot sign itself',
        input: name,
      });
    }
    seen.add(lower);
  }
}

const dkimKeySchema = z.strictObject({
  domain: domainValue(),
  selector: selectorValue(),
  key: textValue("a PEM private key file path"),
  algorithm: choiceValue(["rsa", "ed25519"]).optional(),
  headers: arrayValue(fieldNameValue(), 1).default(() => [...DEFAULT_SIGNED_HEADERS]),
  oversign: arrayValue(fieldNameValue()).default(() => [...DEFAULT_OVERSIGNED_HEADERS]),
  subdomains: booleanValue().default(false),
}).superRefine((entry, context) => {
  reportNameProblems(entry.headers, "headers", context);
  reportNameProblems(entry.oversign, "oversign", context);
  // RFC 6376 §5.4: the From header field MUST be signed.
  if (!entry.headers.some((name) => name.toLowerCase() === "from")) {
    context.addIssue({
      code: "custom",
      path: ["headers"],
      message: `invalid value ${
        showValue(entry.headers)
      }: expected a list that includes "From" (RFC 6376 §5.4)`,
      input: entry.headers,
    });
  }
}).transform((entry): DkimConfig => ({
  domain: entry.domain,
  selector: entry.selector,
  key: entry.key,
  ...(entry.algorithm === undefined ? {} : { algorithm: entry.algorithm }),
  headers: entry.headers,
  oversign: entry.oversign,
  subdomains: entry.subdomains,
}));

/** `[[dkim]]`: signing keys; each domain and selector pair appears once. */
export const dkimSchema: z.ZodType<DkimConfig[], unknown> = arrayValue(dkimKeySchema)
  .superRefine((entries, context) => {
    const seen = new Set<string>();
    for (const [index, entry] of entries.entries()) {
      const pair = `${entry.selector}._domainkey.${entry.domain}`;
      if (seen.has(pair)) {
        context.addIssue({
          code: "custom",
          path: [index, "selector"],
          message: `duplicate selector "${entry.selector}" for domain "${entry.domain}": ` +
            "expected each domain and selector pair once",
          input: entry.selector,
        });
      }
      seen.add(pair);
    }
  })
  .default(() => []);
