// The domain of the author address in a From header field (RFC 5322 §3.6.2),
// the one DKIM signing decisions are made on.

const ADDRESS_END = new Set([",", ";"]);

/**
 * The lowercased domain of the first mailbox in a `From:` field value, or
 * `undefined` when there is none. Comments and quoted strings are skipped, so
 * `"a@evil.test" <b@example.test> (c@x.test)` yields `example.test`.
 */
export function fromDomain(value: string): string | undefined {
  const address = firstAddress(value);
  const at = address.lastIndexOf("@");
  if (at < 0) return undefined;
  const domain = address.slice(at + 1).trim().replace(/\.$/, "").toLowerCase();
  return /^[a-z0-9.-]+$/.test(domain) ? domain : undefined;
}

/** The first address of a mailbox list, without comments and quoted display names. */
function firstAddress(value: string): string {
  let plain = "";
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const char = value[i];
    if (char === "\\" && (quoted || depth > 0)) {
      i++;
    } else if (quoted) {
      if (char === '"') quoted = false;
    } else if (depth > 0) {
      if (char === "(") depth++;
      else if (char === ")") depth--;
    } else if (char === '"') {
      quoted = true;
    } else if (char === "(") {
      depth++;
    } else if (char === "<") {
      const end = value.indexOf(">", i);
      return value.slice(i + 1, end < 0 ? undefined : end);
    } else if (ADDRESS_END.has(char) && plain.includes("@")) {
      return plain;
    } else {
      plain += char;
    }
  }
  return plain;
}
