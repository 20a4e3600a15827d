/** An IP address as bytes: 4 for IPv4, 16 for IPv6. */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
}

const IPV4_OCTET_REGEXP = /^(0|[1-9]\d{0,2})$/;
const IPV6_GROUP_REGEXP = /^[0-9a-f]{1,4}$/i;

/** Parses dotted-quad IPv4 text (no leading zeros), or returns `undefined`. */
export function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let index = 0; index < 4; index++) {
    const part = parts[index];
    if (!IPV4_OCTET_REGEXP.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    bytes[index] = octet;
  }
  return bytes;
}

/** Parses IPv6 text (RFC 4291 §2.2: `::` compression, trailing dotted IPv4), or returns `undefined`. */
export function parseIpv6(text: string): Uint8Array | undefined {
  let groupsText = text;
  let embeddedIpv4: Uint8Array | undefined;
  if (text.includes(".")) {
    const lastColon = text.lastIndexOf(":");
    embeddedIpv4 = parseIpv4(text.slice(lastColon + 1));
    if (lastColon < 0 || embeddedIpv4 === undefined) return undefined;
    groupsText = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const groups = expandIpv6Groups(groupsText);
  if (groups === undefined) return undefined;
  const bytes = new Uint8Array(16);
  for (const [index, group] of groups.entries()) {
    bytes[index * 2] = group >> 8;
    bytes[index * 2 + 1] = group & 0xff;
  }
  if (embeddedIpv4 !== undefined) bytes.set(embeddedIpv4, 12);
  return bytes;
}

function expandIpv6Groups(text: string): number[] | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const left = parseIpv6Groups(halves[0]);
  const right = halves.length === 2 ? parseIpv6Groups(halves[1]) : [];
  if (left === undefined || right === undefined) return undefined;
  if (halves.length === 1) return left.length === 8 ? left : undefined;
  const missing = 8 - left.length - right.length;
  return missing >= 1 ? [...left, ...new Array<number>(missing).fill(0), ...right] : undefined;
}

function parseIpv6Groups(text: string): number[] | undefined {
  if (text === "") return [];
  const groups = text.split(":");
  if (!groups.every((group) => IPV6_GROUP_REGEXP.test(group))) return undefined;
  return groups.map((group) => parseInt(group, 16));
}

/** Parses IPv4 or IPv6 text, or returns `undefined`. */
export function parseIp(text: string): IpAddress | undefined {
  if (text.includes(":")) {
    const bytes = parseIpv6(text);
    return bytes === undefined ? undefined : { family: 6, bytes };
  }
  const bytes = parseIpv4(text);
  return bytes === undefined ? undefined : { family: 4, bytes };
}

/** Formats address bytes: dotted quad for 4 bytes, eight uncompressed hex groups for 16. */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join(".");
  const groups: string[] = [];
  for (let index = 0; index < 16; index += 2) {
    groups.push(((bytes[index] << 8) | bytes[index + 1]).toString(16));
  }
  return groups.join(":");
}
