/**
 * A DNS server written in the test, for what dnsmasq will not do: answer SERVFAIL or REFUSED,
 * truncate, stay silent, or send a stray datagram first. It listens on 127.0.0.1 on one port for
 * UDP (node:dgram) and TCP, and answers each query with what the test's script returns.
 */
import { Buffer } from "node:buffer";
import { createSocket, type Socket } from "node:dgram";
// @deno-types="@types/dns-packet"
import * as dnsPacket from "dns-packet";
import { closeAll } from "./net.ts";

/** A decoded query, as the script sees it. */
export type DnsQuery = dnsPacket.DecodedPacket;

/** What the server does with queries. */
export interface DnsScript {
  /** The datagrams to send back to a UDP query, in order; none to stay silent. */
  readonly udp: (query: DnsQuery) => dnsPacket.Packet[];
  /** The message to send back to a TCP query; without it TCP connections are closed at once. */
  readonly tcp?: (query: DnsQuery) => dnsPacket.Packet;
}

/** A running scripted server; dispose to stop it. */
export interface ScriptedDns extends AsyncDisposable {
  readonly nameServer: { ipAddr: "127.0.0.1"; port: number };
  /** Every query received, as `"udp MX example.test"` or `"tcp MX example.test"`. */
  readonly queries: string[];
}

/** Fields of a response to `query`. */
export interface ResponseFields {
  /** The header's RCODE. @default {0} */
  readonly rcode?: number;
  /** Answer records. @default {[]} */
  readonly answers?: dnsPacket.Answer[];
  /** Sets TC. @default {false} */
  readonly truncated?: boolean;
  /** Overrides the id (a mismatched answer). */
  readonly id?: number;
  /** Overrides the question (a mismatched answer). */
  readonly questions?: dnsPacket.Question[];
}

/** A response to `query`: same id and question, QR and RA set, with `fields`. */
export function response(query: DnsQuery, fields: ResponseFields = {}): dnsPacket.Packet {
  const truncated = fields.truncated ? dnsPacket.TRUNCATED_RESPONSE : 0;
  return {
    type: "response",
    id: fields.id ?? query.id,
    flags: dnsPacket.RECURSION_AVAILABLE | truncated | (fields.rcode ?? 0),
    questions: fields.questions ?? query.questions,
    answers: fields.answers ?? [],
  };
}

/** Starts a server following `script` on a free loopback port (UDP and TCP). */
export async function startScriptedDns(script: DnsScript): Promise<ScriptedDns> {
  const queries: string[] = [];
  const record = (transport: string, query: DnsQuery) => {
    const [question] = query.questions ?? [];
    queries.push(`${transport} ${question?.type} ${question?.name}`);
  };
  const { socket, listener } = await bindBoth();
  socket.on("message", (bytes, from) => {
    const query = dnsPacket.decode(bytes);
    record("udp", query);
    for (const packet of script.udp(query)) {
      socket.send(dnsPacket.encode(packet), from.port, from.address);
    }
  });
  const conns = new Set<Deno.Conn>();
  const serving = serveTcp(listener, conns, (query) => {
    record("tcp", query);
    return script.tcp?.(query);
  });
  return {
    nameServer: { ipAddr: "127.0.0.1", port: listener.addr.port },
    queries,
    async [Symbol.asyncDispose]() {
      listener.close();
      closeAll(conns);
      await serving;
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}

// UDP on a free port, then TCP on the same one; another try when TCP finds it taken.
async function bindBoth(): Promise<{ socket: Socket; listener: Deno.TcpListener }> {
  for (let attempt = 0;; attempt++) {
    const socket = createSocket("udp4");
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    try {
      const listener = Deno.listen({ hostname: "127.0.0.1", port: socket.address().port });
      return { socket, listener };
    } catch (error) {
      await new Promise<void>((resolve) => socket.close(() => resolve()));
      if (attempt === 5) throw error;
    }
  }
}

async function serveTcp(
  listener: Deno.TcpListener,
  conns: Set<Deno.Conn>,
  answer: (query: DnsQuery) => dnsPacket.Packet | undefined,
): Promise<void> {
  const handlers: Promise<void>[] = [];
  try {
    for await (const conn of listener) {
      conns.add(conn);
      handlers.push(answerTcp(conn, answer).finally(() => conns.delete(conn)));
    }
  } catch {
    // listener closed
  }
  await Promise.allSettled(handlers);
}

// One length-prefixed query (RFC 1035 §4.2.2), one answer, then the connection is closed.
async function answerTcp(
  conn: Deno.Conn,
  answer: (query: DnsQuery) => dnsPacket.Packet | undefined,
): Promise<void> {
  try {
    const length = new DataView((await readExactly(conn, 2)).buffer).getUint16(0);
    const query = dnsPacket.decode(Buffer.from(await readExactly(conn, length)));
    const packet = answer(query);
    if (packet !== undefined) {
      const bytes = dnsPacket.streamEncode(packet);
      let written = 0;
      while (written < bytes.length) written += await conn.write(bytes.subarray(written));
    }
  } catch {
    // the client went away
  } finally {
    closeAll([conn]);
  }
}

async function readExactly(conn: Deno.Conn, length: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const read = await conn.read(bytes.subarray(filled));
    if (read === null) throw new Error("Connection closed");
    filled += read;
  }
  return bytes;
}
