import { isIpLiteral } from "./_name.ts";

const BRACKETED_REGEXP = /^\[([^\]]+)\](?::(\d{1,5}))?$/;
const IPV4_PORT_REGEXP = /^([\d.]+)(?::(\d{1,5}))?$/;

/** A name server to ask: an IP address and a port (UDP and TCP). */
export interface NameServer {
  /** An IPv4 or IPv6 address (no brackets). */
  readonly ipAddr: string;
  /** The UDP/TCP port, 1 to 65535. */
  readonly port: number;
}

/**
 * Parses a name server address: `"ip"`, `"ipv4:port"` or `"[ipv6]:port"`; the
 * port defaults to 53. A bare IPv6 address without brackets is accepted too.
 *
 * @param text The address, for example `"127.0.0.1:5353"`.
 * @returns The address and port.
 * @throws {TypeError} If the text is not an IP address with an optional port from 1 to 65535.
 *
 * @example Usage
 * ```ts
 * import { parseNameServer } from "./name_server.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseNameServer("127.0.0.1:5353"), { ipAddr: "127.0.0.1", port: 5353 });
 * assert.deepEqual(parseNameServer("[::1]:53"), { ipAddr: "::1", port: 53 });
 * assert.deepEqual(parseNameServer("192.0.2.53"), { ipAddr: "192.0.2.53", port: 53 });
 * ```
 */
export function parseNameServer(text: string): NameServer {
  const trimmed = text.trim();
  const match = BRACKETED_REGEXP.exec(trimmed) ?? IPV4_PORT_REGEXP.exec(trimmed);
  const [ipAddr, portText] = match === null ? [trimmed, undefined] : [match[1], match[2]];
  const port = portText === undefined ? 53 : Number(portText);
  const bareIpv6 = match === null && ipAddr.includes(":");
  const bracketedIpv4 = match !== null && trimmed.startsWith("[") && !ipAddr.includes(":");
  if (
    (match === null && !bareIpv6) || bracketedIpv4 || !isIpLiteral(ipAddr) || port < 1 ||
    port > 65535
  ) {
    throw new TypeError(
      `Cannot parse name server "${text}": expected an IP address and an optional port, such as "127.0.0.1:53" or "[::1]:53"`,
    );
  }
  return { ipAddr: ipAddr.toLowerCase(), port };
}
