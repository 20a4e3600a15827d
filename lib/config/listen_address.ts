import { parseIpv4, parseIpv6 } from "./_ip.ts";

const BRACKETED_REGEXP = /^\[([^\]]*)\]:(\d{1,5})$/;
const PLAIN_REGEXP = /^([^:\[\]]+):(\d{1,5})$/;
const HOSTNAME_REGEXP =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const DOTTED_NUMBERS_REGEXP = /^[\d.]+$/;

/** A listen address split into the parts `Deno.listen()` takes. */
export interface ListenAddress {
  /** An IPv4 address, an IPv6 address without brackets, or a host name. */
  readonly hostname: string;
  /** The TCP port, 0 to 65535 (0 picks a free port). */
  readonly port: number;
}

/**
 * Parses a listen address: `"host:port"`, or `"[ipv6]:port"` for IPv6.
 *
 * @param address The address text, for example `"127.0.0.1:2525"` or `"[::1]:25"`.
 * @returns The host name and port.
 * @throws {TypeError} If the text is not a host and a port from 0 to 65535.
 *
 * @example Usage
 * ```ts
 * import { parseListenAddress } from "./listen_address.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseListenAddress("[::1]:25"), { hostname: "::1", port: 25 });
 * assert.deepEqual(parseListenAddress("localhost:2525"), { hostname: "localhost", port: 2525 });
 * ```
 */
export function parseListenAddress(address: string): ListenAddress {
  const bracketed = BRACKETED_REGEXP.exec(address);
  const plain = bracketed === null ? PLAIN_REGEXP.exec(address) : null;
  const match = bracketed ?? plain;
  const port = match === null ? NaN : Number(match[2]);
  if (match === null || port > 65535 || !isValidHost(match[1], bracketed !== null)) {
    throw new TypeError(
      `Cannot parse listen address "${address}": expected "host:port" or "[ipv6]:port" with a port from 0 to 65535`,
    );
  }
  return { hostname: match[1], port };
}

function isValidHost(host: string, isBracketed: boolean): boolean {
  if (isBracketed) return parseIpv6(host) !== undefined;
  if (DOTTED_NUMBERS_REGEXP.test(host)) return parseIpv4(host) !== undefined;
  return HOSTNAME_REGEXP.test(host);
}
