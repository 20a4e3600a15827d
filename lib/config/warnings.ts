import { type Cidr, parseCidr } from "./cidr.ts";
import type { Config } from "./types.ts";

/** The IPv4-mapped IPv6 block `::ffff:0:0/96` starts here (RFC 4291 §2.5.5.2). */
const IPV4_MAPPED_START = 0xffffn << 32n;
const IPV4_SIZE = 1n << 32n;
const IPV6_SIZE = 1n << 128n;

type Range = readonly [start: bigint, end: bigint];

/**
 * Which address families the networks cover completely. A client address matches an IPv4
 * network through its IPv4-mapped IPv6 form and an IPv6 network through the mapped form of an
 * IPv4 address (as `cidrContains` does), so `"::ffff:0:0/96"` covers IPv4 and `"::/0"` covers
 * both; networks that only add up to everything (`"0.0.0.0/1"` and `"128.0.0.0/1"`) count too.
 *
 * @param networks CIDR networks, as in `[policy] trusted_networks`.
 * @returns `"IPv4"` and/or `"IPv6"`, in that order; empty when neither is covered.
 * @throws {TypeError} If a network cannot be parsed.
 *
 * @example Usage
 * ```ts
 * import { coveredFamilies } from "./warnings.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(coveredFamilies(["0.0.0.0/0"]), ["IPv4"]);
 * assert.deepEqual(coveredFamilies(["::/0"]), ["IPv4", "IPv6"]);
 * assert.deepEqual(coveredFamilies(["127.0.0.0/8", "::1/128"]), []);
 * ```
 */
export function coveredFamilies(networks: readonly string[]): ("IPv4" | "IPv6")[] {
  const parsed = networks.map((network) => parseCidr(network));
  const v4: Range[] = [];
  const v6: Range[] = [];
  for (const cidr of parsed) {
    const [start, end] = range(cidr);
    if (cidr.family === 4) {
      v4.push([start, end]);
      v6.push([IPV4_MAPPED_START + start, IPV4_MAPPED_START + end]);
      continue;
    }
    v6.push([start, end]);
    const from = start > IPV4_MAPPED_START ? start : IPV4_MAPPED_START;
    const to = end < IPV4_MAPPED_START + IPV4_SIZE - 1n ? end : IPV4_MAPPED_START + IPV4_SIZE - 1n;
    if (from <= to) v4.push([from - IPV4_MAPPED_START, to - IPV4_MAPPED_START]);
  }
  const families: ("IPv4" | "IPv6")[] = [];
  if (coversAll(v4, IPV4_SIZE)) families.push("IPv4");
  if (coversAll(v6, IPV6_SIZE)) families.push("IPv6");
  return families;
}

/**
 * Warnings about a valid but dangerous configuration, one sentence each, for the log at start
 * and for `empath config check`. Today: `[policy] trusted_networks` covering every address,
 * which makes the server an open relay.
 *
 * @param config The validated configuration.
 * @returns The warnings; empty when there are none.
 *
 * @example Usage
 * ```ts
 * import { configWarnings } from "./warnings.ts";
 * import { parseConfig } from "./parse_config.ts";
 * import assert from "node:assert/strict";
 *
 * const config = parseConfig('[policy]\ntrusted_networks = ["0.0.0.0/0"]\n');
 * assert.match(configWarnings(config)[0], /open relay/);
 * ```
 */
export function configWarnings(config: Config): string[] {
  const families = coveredFamilies(config.policy.trustedNetworks);
  if (families.length === 0) return [];
  const networks = config.policy.trustedNetworks.map((network) => `"${network}"`).join(", ");
  return [
    `policy.trusted_networks (${networks}) covers every ${
      families.join(" and every ")
    } address: anyone can relay mail through this server to any domain (an open relay)`,
  ];
}

function range(cidr: Cidr): Range {
  const bits = cidr.family === 4 ? 32 : 128;
  let start = 0n;
  for (const byte of cidr.network) start = (start << 8n) | BigInt(byte);
  const hostBits = BigInt(bits - cidr.prefixLength);
  return [start, start + (1n << hostBits) - 1n];
}

function coversAll(ranges: Range[], size: bigint): boolean {
  let next = 0n;
  for (const [start, end] of [...ranges].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    if (start > next) return false;
    if (end + 1n > next) next = end + 1n;
    if (next >= size) return true;
  }
  return next >= size;
}
