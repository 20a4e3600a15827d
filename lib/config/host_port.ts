import { parseIpv4, parseIpv6 } from "./_ip.ts";

const BRACKETED_REGEXP = /^\[([^\]]*)\](?::(\d{1,5}))?$/;
const PLAIN_REGEXP = /^([^:\[\]]+)(?::(\d{1,5}))?$/;
const HOSTNAME_REGEXP =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const DOTTED_NUMBERS_REGEXP = /^[\d.]+$/;

/** A destination split into the parts `Deno.connect()` takes. */
export interface HostPort {
  /** An IPv4 address, an IPv6 address without brackets, or a host name. */
  readonly hostname: string;
  /** The TCP port, 1 to 65535. */
  readonly port: number;
}

/**
 * Parses a destination: `"host:port"`, `"[ipv6]:port"`, or without the port (`"host"`,
 * `"[ipv6]"`, or a bare IPv6 address such as `"::1"`), which then takes `defaultPort`.
 *
 * @param text The destination text, for example `"relay.example.test:587"` or `"[::1]:53"`.
 * @param defaultPort The port used when the text has none; without it a port is required.
 * @returns The host name and port.
 * @throws {TypeError} If the text is not a host name or IP address with a port from 1 to 65535.
 *
 * @example Usage
 * ```ts
 * import { parseHostPort } from "./host_port.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseHostPort("relay.example.test", 25), { hostname: "relay.example.test", port: 25 });
 * assert.deepEqual(parseHostPort("[::1]:5353", 53), { hostname: "::1", port: 5353 });
 * ```
 */
export function parseHostPort(text: string, defaultPort?: number): HostPort {
  const trimmed = text.trim();
  const bracketed = BRACKETED_REGEXP.exec(trimmed);
  const plain = bracketed === null ? PLAIN_REGEXP.exec(trimmed) : null;
  const isBareIpv6 = bracketed === null && plain === null && parseIpv6(trimmed) !== undefined;
  const hostname = isBareIpv6 ? trimmed : (bracketed ?? plain)?.[1];
  const portText = isBareIpv6 ? undefined : (bracketed ?? plain)?.[2];
  const port = portText === undefined ? defaultPort : Number(portText);
  const isValid = hostname !== undefined && port !== undefined && port >= 1 && port <= 65535 &&
    isValidHost(hostname, bracketed !== null || isBareIpv6);
  if (!isValid) {
    const shape = defaultPort === undefined ? '"host:port" or "[ipv6]:port"' : '"host[:port]"';
    throw new TypeError(
      `Cannot parse destination "${text}": expected ${shape} with a port from 1 to 65535`,
    );
  }
  return { hostname, port };
}

/**
 * Formats a destination as `"host:port"`, with brackets around an IPv6 address, so that
 * {@linkcode parseHostPort} reads it back.
 *
 * @param destination The host name and port.
 * @returns The text.
 *
 * @example Usage
 * ```ts
 * import { formatHostPort } from "./host_port.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatHostPort({ hostname: "::1", port: 53 }), "[::1]:53");
 * assert.equal(formatHostPort({ hostname: "127.0.0.1", port: 5353 }), "127.0.0.1:5353");
 * ```
 */
export function formatHostPort(destination: HostPort): string {
  const { hostname, port } = destination;
  return hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
}

function isValidHost(host: string, isIpv6: boolean): boolean {
  if (isIpv6) return parseIpv6(host) !== undefined;
  if (DOTTED_NUMBERS_REGEXP.test(host)) return parseIpv4(host) !== undefined;
  return HOSTNAME_REGEXP.test(host);
}
