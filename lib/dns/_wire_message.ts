// DNS messages on the wire (RFC 1035 §4.1), sans I/O: the query WireDnsBackend sends, which
// datagrams answer it, and what an answer means for the DnsBackend port.
import { Buffer } from "node:buffer";
// @deno-types="@types/dns-packet"
import * as dnsPacket from "dns-packet";
import type { DnsAnswer, DnsRecord, DnsRecordType } from "./types.ts";

/** One question: a normalized name (lowercase, no trailing dot) and a record type. */
export interface WireQuestion {
  readonly name: string;
  readonly type: DnsRecordType;
}

/** A decoded response that answers the question asked. */
export type WireResponse = dnsPacket.DecodedPacket;

/** RFC 8020-era advice (DNS flag day 2020): a UDP payload that avoids IP fragmentation. */
export const EDNS_UDP_PAYLOAD_SIZE = 1232;

/** Longest CNAME chain followed inside one answer section. */
const MAX_CNAME_CHAIN = 8;

/** RFC 1035 §4.1.1 and RFC 6895 §2.3: the RCODE names of the 4-bit header field. */
const RCODE_NAMES: Readonly<Record<number, string>> = {
  0: "NOERROR",
  1: "FORMERR",
  2: "SERVFAIL",
  3: "NXDOMAIN",
  4: "NOTIMP",
  5: "REFUSED",
  6: "YXDOMAIN",
  7: "YXRRSET",
  8: "NXRRSET",
  9: "NOTAUTH",
  10: "NOTZONE",
};

/**
 * The query for `question` with recursion desired and an EDNS0 OPT record (RFC 6891) offering
 * {@linkcode EDNS_UDP_PAYLOAD_SIZE} octets.
 *
 * @param question What to ask.
 * @param id The query id, 0 to 65535 (random, RFC 5452 §4).
 * @returns The message, without the TCP length prefix.
 */
export function encodeQuery(question: WireQuestion, id: number): Uint8Array {
  const opt: dnsPacket.OptAnswer = {
    type: "OPT",
    name: ".",
    udpPayloadSize: EDNS_UDP_PAYLOAD_SIZE,
    extendedRcode: 0,
    ednsVersion: 0,
    flags: 0,
    flag_do: false,
    options: [],
  };
  return dnsPacket.encode({
    type: "query",
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type: question.type, name: question.name, class: "IN" }],
    additionals: [opt],
  });
}

/**
 * The response in `bytes` when it answers the query `id` for `question`: a response (QR set)
 * with the same id and exactly that question (name compared without case, type, class IN).
 * Anything else, including bytes that do not decode, is `undefined`, to be ignored: a late
 * answer to an earlier query, or a spoofing attempt (RFC 5452 §3).
 *
 * @param bytes A datagram or a TCP message without its length prefix.
 * @param id The id of the query sent.
 * @param question The question sent.
 */
export function decodeMatching(
  bytes: Uint8Array,
  id: number,
  question: WireQuestion,
): WireResponse | undefined {
  let response: WireResponse;
  try {
    response = dnsPacket.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch {
    return undefined;
  }
  if (!response.flag_qr || response.id !== id || response.questions?.length !== 1) {
    return undefined;
  }
  const [asked] = response.questions;
  const matches = asked.name.toLowerCase() === question.name && asked.type === question.type &&
    asked.class === "IN";
  return matches ? response : undefined;
}

/** The RCODE of `response` (the header's 4 bits; extended RCODEs are not asked for). */
export function rcodeOf(response: WireResponse): number {
  return (response.flags ?? 0) & 0xf;
}

/** `"SERVFAIL (RCODE 2)"`, or `"RCODE 12"` for a code without a name. */
export function describeRcode(rcode: number): string {
  const name = RCODE_NAMES[rcode];
  return name === undefined ? `RCODE ${rcode}` : `${name} (RCODE ${rcode})`;
}

/**
 * What a matching response means for the {@linkcode DnsBackend} port:
 * - NOERROR with records of the type asked (at the end of any CNAME chain in the answer
 *   section) → `records`: MX as preference and exchange, A/AAAA as address text, TXT as each
 *   record's character-strings joined (RFC 7208 §3.3);
 * - NOERROR without them (NODATA, RFC 2308 §2.2) → `no-records`;
 * - NXDOMAIN (RCODE 3) → `nxdomain`;
 * - any other RCODE (SERVFAIL, REFUSED, FORMERR, NOTIMP, …) → `temporary-failure`, naming it.
 *
 * @param response A response that matches the question.
 * @param question The question asked.
 * @param server Who answered, for the failure reason, as `"ip:port"`.
 */
export function answerFromResponse(
  response: WireResponse,
  question: WireQuestion,
  server: string,
): DnsAnswer {
  const rcode = rcodeOf(response);
  if (rcode === 3) return { kind: "nxdomain" };
  if (rcode !== 0) {
    return { kind: "temporary-failure", reason: `${server} answered ${describeRcode(rcode)}` };
  }
  const found = recordsOf(response.answers ?? [], question);
  if (found === undefined) return { kind: "no-records" };
  return { kind: "records", records: found.records, ttlMs: found.ttl * 1000 };
}

// RFC 1034 §3.6.2 and §4.3.2: the records of the name, or of the name its CNAME chain ends at,
// with the shortest TTL met on the way (RFC 2181 §5.2: one RRset has one TTL, take the least).
function recordsOf(
  answers: readonly dnsPacket.Answer[],
  question: WireQuestion,
): { records: DnsRecord[]; ttl: number } | undefined {
  const inClass = answers.filter((answer) => !("class" in answer) || answer.class === "IN");
  let owner = question.name;
  let ttl = Infinity;
  for (let step = 0; step <= MAX_CNAME_CHAIN; step++) {
    const owned = inClass.filter((answer) =>
      answer.name.toLowerCase() === owner && answer.type === question.type
    );
    if (owned.length > 0) {
      for (const answer of owned) ttl = Math.min(ttl, ttlOf(answer));
      return { records: owned.flatMap(recordOf), ttl };
    }
    const alias = inClass.find((answer) =>
      answer.type === "CNAME" && answer.name.toLowerCase() === owner
    );
    if (alias === undefined || alias.type !== "CNAME") return undefined;
    ttl = Math.min(ttl, ttlOf(alias));
    owner = alias.data.toLowerCase().replace(/\.$/, "");
  }
  return undefined;
}

function ttlOf(answer: dnsPacket.Answer): number {
  return "ttl" in answer ? answer.ttl ?? 0 : 0;
}

const TEXT_DECODER = new TextDecoder();

function recordOf(answer: dnsPacket.Answer): DnsRecord[] {
  switch (answer.type) {
    case "MX":
      return [{ preference: answer.data.preference ?? 0, exchange: answer.data.exchange }];
    case "A":
    case "AAAA":
      return [answer.data];
    case "TXT": {
      const strings = Array.isArray(answer.data) ? answer.data : [answer.data];
      const bytes = strings.map((s) => typeof s === "string" ? Buffer.from(s) : s);
      return [TEXT_DECODER.decode(Buffer.concat(bytes))];
    }
    default:
      return [];
  }
}
