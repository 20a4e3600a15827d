/**
 * Recognising addresses that must not be used as a next hop unless allowed:
 * loopback, private, link-local, shared, multicast and reserved ranges.
 *
 * @module
 */
import { type Cidr, cidrContains, parseCidr } from "../config/mod.ts";

/**
 * Networks that are not public unicast destinations. IPv4-mapped IPv6
 * addresses (`::ffff:10.0.0.1`) are matched against the IPv4 networks.
 */
const INTERNAL_NETWORKS: readonly Cidr[] = [
  "0.0.0.0/8", // "this network" (RFC 1122 §3.2.1.3)
  "10.0.0.0/8", // private (RFC 1918)
  "100.64.0.0/10", // shared address space, carrier-grade NAT (RFC 6598)
  "127.0.0.0/8", // loopback (RFC 1122)
  "169.254.0.0/16", // link-local (RFC 3927)
  "172.16.0.0/12", // private (RFC 1918)
  "192.168.0.0/16", // private (RFC 1918)
  "224.0.0.0/4", // multicast (RFC 5771)
  "240.0.0.0/4", // reserved (RFC 1112), broadcast 255.255.255.255 included
  "::/128", // unspecified (RFC 4291)
  "::1/128", // loopback (RFC 4291)
  "fc00::/7", // unique local (RFC 4193)
  "fe80::/10", // link-local (RFC 4291)
  "fec0::/10", // deprecated site-local (RFC 3879)
  "ff00::/8", // multicast (RFC 4291)
].map((text) => parseCidr(text));

/** Every IPv4 and IPv6 address is inside ::/0 (IPv4 through its mapped form). */
const ANY_ADDRESS = parseCidr("::/0");

/**
 * Tells whether an IP address is loopback, private or otherwise internal, so
 * that a destination whose MX resolves to it can be refused (unless routing
 * allows it explicitly): delivering there would let a remote domain point
 * our relay at internal services.
 *
 * IPv4: 0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12, 192.168/16,
 * 224/4, 240/4. IPv6: `::`, `::1`, fc00::/7, fe80::/10, fec0::/10, ff00::/8,
 * and IPv4-mapped addresses of the IPv4 ranges. A zone suffix (`%eth0`) is ignored.
 *
 * @param ip An IPv4 or IPv6 address.
 * @returns `true` if the address is in one of those ranges.
 * @throws {TypeError} If `ip` is not an IP address.
 *
 * @example
 * ```ts
 * import { isPrivateOrLoopback } from "./private_address.ts";
 * import assert from "node:assert/strict";
 * assert.equal(isPrivateOrLoopback("127.0.0.1"), true);
 * assert.equal(isPrivateOrLoopback("::ffff:192.168.1.1"), true);
 * assert.equal(isPrivateOrLoopback("192.0.2.1"), false);
 * ```
 */
export function isPrivateOrLoopback(ip: string): boolean {
  if (!cidrContains(ANY_ADDRESS, ip)) {
    throw new TypeError(`Cannot check address "${ip}": expected an IPv4 or IPv6 address`);
  }
  return INTERNAL_NETWORKS.some((network) => cidrContains(network, ip));
}
