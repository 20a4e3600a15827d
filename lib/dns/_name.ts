// Name normalization shared by the resolver and the backends.

const HOSTNAME_REGEXP =
  /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?)*$/;
const IPV4_REGEXP =
  /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const HEX_GROUP_REGEXP = /^[0-9a-f]{1,4}$/i;

/**
 * Lowercases `name` and removes one trailing dot; `undefined` when the result
 * is not a syntactically valid host name (RFC 1123 §2.1 labels, 253 octets),
 * so it can never resolve. Underscores are allowed, as DNS allows them.
 */
export function normalizeName(name: string): string | undefined {
  const lower = name.toLowerCase();
  const bare = lower.endsWith(".") ? lower.slice(0, -1) : lower;
  return HOSTNAME_REGEXP.test(bare) ? bare : undefined;
}

/** True for an IPv4 address in dotted-quad form or an IPv6 address (no brackets). */
export function isIpLiteral(host: string): boolean {
  return IPV4_REGEXP.test(host) || isIpv6(host);
}

// RFC 4291 §2.2 text forms: eight groups, "::" once, an IPv4 tail in place of two groups.
function isIpv6(host: string): boolean {
  const halves = host.split("::");
  if (halves.length > 2) return false;
  const groups = halves.map((half) => half === "" ? [] : half.split(":"));
  const all = groups.flat();
  const last = all.at(-1);
  const ipv4Tail = last !== undefined && IPV4_REGEXP.test(last);
  const hexGroups = ipv4Tail ? all.slice(0, -1) : all;
  if (!hexGroups.every((group) => HEX_GROUP_REGEXP.test(group))) return false;
  const count = hexGroups.length + (ipv4Tail ? 2 : 0);
  return halves.length === 2 ? count <= 7 : count === 8;
}
