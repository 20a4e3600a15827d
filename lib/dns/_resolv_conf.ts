// The system's name servers, from resolv.conf(5): what WireDnsBackend asks when [dns] name_server
// is not set.
import { isIpLiteral } from "./_name.ts";
import type { NameServer } from "./name_server.ts";

/** Where the system's resolver configuration lives. */
export const RESOLV_CONF_PATH = "/etc/resolv.conf";

/** glibc's and musl's MAXNS: later `nameserver` lines are ignored. */
const MAX_NAME_SERVERS = 3;

/** What is asked when resolv.conf is missing or names no server (as glibc and musl do). */
export const DEFAULT_NAME_SERVERS: readonly NameServer[] = [{ ipAddr: "127.0.0.1", port: 53 }];

/**
 * The `nameserver` addresses of a resolv.conf text, in file order, at most three, on port 53.
 * Comment lines (`#` or `;` first), other keywords and addresses that are not IP literals are
 * skipped; an IPv6 address may carry a zone (`fe80::1%eth0`). Never throws.
 *
 * @param text The file's content.
 * @returns The name servers; empty when the text names none.
 */
export function parseResolvConf(text: string): NameServer[] {
  const servers: NameServer[] = [];
  for (const line of text.split(/\r?\n/)) {
    const [keyword, address] = line.trim().split(/[ \t]+/, 2);
    if (keyword !== "nameserver" || address === undefined) continue;
    const ipAddr = nameServerAddress(address);
    if (ipAddr === undefined || servers.some((server) => server.ipAddr === ipAddr)) continue;
    servers.push({ ipAddr, port: 53 });
    if (servers.length === MAX_NAME_SERVERS) break;
  }
  return servers;
}

// An IP literal, lowercased; an IPv6 one may keep its zone ("%eth0", case kept).
function nameServerAddress(text: string): string | undefined {
  const [bare, zone] = text.split("%", 2);
  if (!isIpLiteral(bare) || (zone !== undefined && (zone === "" || !bare.includes(":")))) {
    return undefined;
  }
  return zone === undefined ? bare.toLowerCase() : `${bare.toLowerCase()}%${zone}`;
}

/**
 * The name servers of the resolv.conf at `path`; {@linkcode DEFAULT_NAME_SERVERS} when the file
 * does not exist or names none.
 *
 * @param path The file to read.
 * @returns At least one name server.
 * @throws {Error} If the file exists but cannot be read (for example without read permission).
 */
export async function readResolvConf(path: string = RESOLV_CONF_PATH): Promise<NameServer[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [...DEFAULT_NAME_SERVERS];
    throw error;
  }
  const servers = parseResolvConf(text);
  return servers.length > 0 ? servers : [...DEFAULT_NAME_SERVERS];
}
