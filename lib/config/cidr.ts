import { formatIp, type IpAddress, parseIp } from "./_ip.ts";

const PREFIX_REGEXP = /^(0|[1-9]\d{0,2})$/;

/** An IP network parsed by {@linkcode parseCidr}. */
export interface Cidr {
  /** 4 for IPv4, 6 for IPv6. */
  readonly family: 4 | 6;
  /** The network address: 4 or 16 bytes, with every host bit zero. */
  readonly network: Uint8Array;
  /** The number of leading bits that identify the network (0-32 or 0-128). */
  readonly prefixLength: number;
}

/**
 * Parses a network in CIDR notation (`"10.0.0.0/8"`, `"2001:db8::/32"`). A bare address is a
 * single-host network (`/32` or `/128`).
 *
 * @param cidr The network text.
 * @returns The parsed network.
 * @throws {TypeError} If the text is not an IPv4 or IPv6 network, or has host bits set
 * (`"10.0.0.1/8"`), which is usually a typo.
 *
 * @example Usage
 * ```ts
 * import { parseCidr } from "./cidr.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseCidr("127.0.0.0/8").prefixLength, 8);
 * assert.equal(parseCidr("::1").prefixLength, 128);
 * ```
 */
export function parseCidr(cidr: string): Cidr {
  const [addressText, prefixText, ...rest] = cidr.trim().split("/");
  const address = parseIp(addressText);
  if (address === undefined || rest.length > 0) {
    throw new TypeError(`Cannot parse network "${cidr}": expected an IPv4 or IPv6 CIDR`);
  }
  const maxPrefix = address.family === 4 ? 32 : 128;
  const prefixLength = prefixText === undefined ? maxPrefix : Number(prefixText);
  const prefixIsValid = prefixText === undefined || PREFIX_REGEXP.test(prefixText);
  if (!prefixIsValid || prefixLength > maxPrefix) {
    throw new TypeError(
      `Cannot parse network "${cidr}": expected a prefix length from 0 to ${maxPrefix}`,
    );
  }
  const network = maskBytes(address.bytes, prefixLength);
  if (!network.every((byte, index) => byte === address.bytes[index])) {
    throw new TypeError(
      `Cannot use network "${cidr}": host bits are set, expected "${
        formatIp(network)
      }/${prefixLength}"`,
    );
  }
  return { family: address.family, network, prefixLength };
}

/**
 * Tells whether an IP address lies inside a network. An IPv4-mapped IPv6 address
 * (`::ffff:127.0.0.1`) matches IPv4 networks, and an IPv4 address matches IPv6 networks
 * through its mapped form. A zone suffix (`fe80::1%eth0`) is ignored.
 *
 * @param cidr The network, parsed or as text for {@linkcode parseCidr}.
 * @param ip The address, for example a peer's `remoteAddr.hostname`.
 * @returns `true` if the address is inside the network; `false` otherwise, also when `ip` is
 * not an IP address.
 * @throws {TypeError} If `cidr` is text that {@linkcode parseCidr} rejects.
 *
 * @example Usage
 * ```ts
 * import { cidrContains } from "./cidr.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(cidrContains("127.0.0.0/8", "127.1.2.3"), true);
 * assert.equal(cidrContains("127.0.0.0/8", "::ffff:127.0.0.1"), true);
 * assert.equal(cidrContains("10.0.0.0/8", "192.0.2.1"), false);
 * ```
 */
export function cidrContains(cidr: Cidr | string, ip: string): boolean {
  return anyCidrContains([typeof cidr === "string" ? parseCidr(cidr) : cidr], ip);
}

/**
 * Whether `ip` lies in any of `networks`, as {@linkcode cidrContains} decides it for each;
 * the address is parsed once.
 *
 * @param networks The networks, parsed.
 * @param ip The address.
 * @returns `true` if one of the networks holds the address.
 *
 * @example Usage
 * ```ts
 * import { anyCidrContains, parseCidr } from "./cidr.ts";
 * import assert from "node:assert/strict";
 *
 * const trusted = ["10.0.0.0/8", "::1"].map(parseCidr);
 * assert.equal(anyCidrContains(trusted, "::1"), true);
 * assert.equal(anyCidrContains(trusted, "192.0.2.1"), false);
 * ```
 */
export function anyCidrContains(networks: readonly Cidr[], ip: string): boolean {
  if (networks.length === 0) return false;
  const zoneStart = ip.indexOf("%");
  const address = parseIp(zoneStart >= 0 ? ip.slice(0, zoneStart) : ip);
  if (address === undefined) return false;
  return networks.some((network) => {
    const bytes = addressBytesFor(network.family, address);
    if (bytes === undefined) return false;
    const masked = maskBytes(bytes, network.prefixLength);
    return masked.every((byte, index) => byte === network.network[index]);
  });
}

const IPV4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

function addressBytesFor(family: 4 | 6, address: IpAddress): Uint8Array | undefined {
  if (address.family === family) return address.bytes;
  if (family === 6) return new Uint8Array([...IPV4_MAPPED_PREFIX, ...address.bytes]);
  const isMapped = IPV4_MAPPED_PREFIX.every((byte, index) => address.bytes[index] === byte);
  return isMapped ? address.bytes.slice(12) : undefined;
}

function maskBytes(bytes: Uint8Array, prefixLength: number): Uint8Array {
  const masked = new Uint8Array(bytes.length);
  for (let index = 0; index < bytes.length; index++) {
    const bitsHere = Math.min(8, Math.max(0, prefixLength - index * 8));
    masked[index] = bytes[index] & ((0xff << (8 - bitsHere)) & 0xff);
  }
  return masked;
}
