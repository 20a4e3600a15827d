/**
 * Example policy hook: a DNS blocklist (DNSBL, RFC 5782) check of the client's address at
 * connect. A listed client is greeted with `554 5.7.1` instead of `220`, and only QUIT is
 * served after that.
 *
 * - `EMPATH_DNSBL_ZONE`: the list's zone. Default: `zen.spamhaus.org`.
 * - `EMPATH_DNSBL_NAMESERVER`: the name server to ask, `host:port` (`127.0.0.1:5353`, or
 *   `[::1]:53`); default: the system's resolver. Public blocklists refuse queries from large
 *   public resolvers, so use a local one.
 *
 * IPv4 addresses are looked up with their octets reversed (`192.0.2.1` →
 * `1.2.0.192.<zone>`), IPv6 addresses by nibbles (RFC 5782 §2.4). An `A` answer in
 * `127.0.0.0/8` means listed, except `127.255.255.0/24`, which lists such as Spamhaus use
 * for errors. A lookup that fails or times out lets the client in (fail open): a blocklist
 * outage must not stop mail.
 *
 * ```toml
 * [[hooks]]
 * path = "config/hooks/dnsbl.ts"
 * timeout = "3s"
 * ```
 *
 * Run Empath with `--allow-env=EMPATH_DNSBL_ZONE,EMPATH_DNSBL_NAMESERVER` (or `--allow-env`).
 *
 * @module
 */
import { reject } from "../../mod.ts";
import type { Hooks } from "../../mod.ts";

export const onConnect: Hooks["onConnect"] = async ({ session, signal, context }) => {
  const zone = Deno.env.get("EMPATH_DNSBL_ZONE") ?? "zen.spamhaus.org";
  const name = reversedName(session.peer.ip);
  if (name === undefined) return undefined;
  let answers: string[];
  try {
    answers = await Deno.resolveDns(`${name}.${zone}`, "A", {
      nameServer: nameServer(Deno.env.get("EMPATH_DNSBL_NAMESERVER")),
      signal,
    });
  } catch {
    return undefined; // NXDOMAIN: not listed; any other failure: fail open
  }
  const listed = answers.filter((a) => a.startsWith("127.") && !a.startsWith("127.255.255."));
  if (listed.length === 0) return undefined;
  context.dnsbl = `${zone}=${listed.join(",")}`;
  return reject(
    554,
    "5.7.1",
    `Service unavailable; client [${session.peer.ip}] blocked using ${zone}`,
  );
};

/** The DNSBL query name of an address, without the zone; `undefined` if it is not an IP. */
export function reversedName(ip: string): string | undefined {
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/i.exec(ip);
  if (v4 !== null) return [v4[4], v4[3], v4[2], v4[1]].join(".");
  const nibbles = expandIpv6(ip);
  return nibbles === undefined ? undefined : [...nibbles].reverse().join(".");
}

/** The 32 hex digits of an IPv6 address, or `undefined`. */
function expandIpv6(ip: string): string | undefined {
  if (!/^[0-9a-f:]+$/i.test(ip) || ip.split("::").length > 2) return undefined;
  const [head, tail] = ip.includes("::") ? ip.split("::") : [ip, undefined];
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const missing = 8 - left.length - right.length;
  if (missing < 0 || (tail === undefined && missing !== 0)) return undefined;
  const groups = [...left, ...Array(missing).fill("0"), ...right];
  if (groups.some((group) => group.length === 0 || group.length > 4)) return undefined;
  return groups.map((group) => group.padStart(4, "0")).join("").toLowerCase();
}

/** `host:port` or `[v6]:port` as `Deno.resolveDns` wants it; `undefined` for the system's. */
function nameServer(text: string | undefined): { ipAddr: string; port: number } | undefined {
  if (text === undefined || text === "") return undefined;
  const bracketed = /^\[([0-9a-f:.]+)\](?::(\d{1,5}))?$/i.exec(text);
  const plain = /^([^:]+)(?::(\d{1,5}))?$/.exec(text);
  if (bracketed === null && plain === null && text.split(":").length > 2) {
    return { ipAddr: text, port: 53 };
  }
  const match = bracketed ?? plain;
  if (match === null) throw new TypeError(`Cannot use name server "${text}": expected host:port`);
  return { ipAddr: match[1], port: match[2] === undefined ? 53 : Number(match[2]) };
}
