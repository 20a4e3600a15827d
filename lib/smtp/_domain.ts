/** RFC 5321 §4.1.2 Domain and §4.1.3 address-literal checks, private to lib/smtp. */

const LABEL_REGEXP = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
const LABEL_UTF8_REGEXP =
  /^[A-Za-z0-9\u0080-\u{10FFFF}](?:[A-Za-z0-9\u0080-\u{10FFFF}-]*[A-Za-z0-9\u0080-\u{10FFFF}])?$/u;
const IPV4_REGEXP = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEX_GROUP_REGEXP = /^[0-9A-Fa-f]{1,4}$/;
const MAX_LABEL_OCTETS = 63;

const encoder = new TextEncoder();

/**
 * Whether `text` is a Domain: dot-separated labels of letters, digits and
 * inner hyphens, at most 63 octets each; U-labels allowed with `utf8`.
 */
export function isDomainName(text: string, utf8: boolean): boolean {
  if (text === "") return false;
  const pattern = utf8 ? LABEL_UTF8_REGEXP : LABEL_REGEXP;
  return text.split(".").every((label) =>
    pattern.test(label) && encoder.encode(label).length <= MAX_LABEL_OCTETS
  );
}

/** Whether `text` is `[IPv4]` or `[IPv6:…]` (general address literals are refused). */
export function isAddressLiteral(text: string): boolean {
  if (!text.startsWith("[") || !text.endsWith("]")) return false;
  const inner = text.slice(1, -1);
  if (inner.slice(0, 5).toLowerCase() === "ipv6:") return isIpv6(inner.slice(5));
  return isIpv4(inner);
}

/** Whether `text` is a dotted-quad IPv4 address (RFC 5321 Snum: 0–255). */
export function isIpv4(text: string): boolean {
  const match = IPV4_REGEXP.exec(text);
  return match !== null && match.slice(1).every((part) => Number(part) <= 255);
}

/** Whether `text` is an IPv6 address in full, compressed or IPv4-embedded form. */
export function isIpv6(text: string): boolean {
  const halves = text.split("::");
  if (halves.length > 2) return false;
  const groups = halves.map((half) => (half === "" ? [] : half.split(":")));
  const all = groups.flat();
  let count = all.length;
  const last = groups.at(-1)?.at(-1);
  if (last !== undefined && last.includes(".")) {
    if (!isIpv4(last)) return false;
    all.pop();
    count++; // an embedded IPv4 address takes two groups
  }
  if (!all.every((group) => HEX_GROUP_REGEXP.test(group))) return false;
  return halves.length === 2 ? count <= 7 : count === 8;
}
