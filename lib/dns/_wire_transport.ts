// One DNS exchange with one name server: a datagram over UDP (node:dgram, as Deno's own UDP
// sockets need --unstable-net), or a length-prefixed message over TCP (RFC 1035 §4.2.2,
// RFC 7766). Which answer is accepted is decided by the caller's `accept`.
import { createSocket } from "node:dgram";
import type { NameServer } from "./name_server.ts";

/** How one exchange ended. */
export type Exchange<T> =
  | { readonly kind: "answer"; readonly answer: T }
  | { readonly kind: "timeout" }
  | { readonly kind: "aborted"; readonly reason: unknown }
  | { readonly kind: "error"; readonly error: unknown };

/** What one exchange needs besides the server and the query. */
export interface ExchangeOptions<T> {
  /** The answer in a message, or `undefined` to ignore it (and keep waiting on UDP). */
  readonly accept: (bytes: Uint8Array) => T | undefined;
  /** How long to wait for the answer. */
  readonly timeoutMs: number;
  /** Ends the exchange early with `aborted`, carrying the signal's reason. */
  readonly signal?: AbortSignal;
}

/**
 * Sends `query` in one datagram from a fresh socket (a new random source port each time, RFC 5452
 * §4.5) and resolves with the first accepted datagram from the server's address and port; other
 * datagrams are ignored. Never rejects.
 */
export function exchangeUdp<T>(
  server: NameServer,
  query: Uint8Array,
  options: ExchangeOptions<T>,
): Promise<Exchange<T>> {
  const { promise, resolve } = Promise.withResolvers<Exchange<T>>();
  if (options.signal?.aborted) return Promise.resolve(aborted(options.signal));
  const family = server.ipAddr.includes(":") ? "udp6" : "udp4";
  const socket = createSocket(family);
  const expected = canonicalAddress(server.ipAddr);
  let done = false;
  const finish = (outcome: Exchange<T>) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
    try {
      socket.close();
    } catch {
      // closed after an error
    }
    resolve(outcome);
  };
  const onAbort = () => finish(aborted(options.signal!));
  const timer = setTimeout(() => finish({ kind: "timeout" }), options.timeoutMs);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  socket.on("error", (error) => finish({ kind: "error", error }));
  socket.on("message", (bytes, from) => {
    if (from.port !== server.port || canonicalAddress(from.address) !== expected) return;
    const answer = options.accept(bytes);
    if (answer !== undefined) finish({ kind: "answer", answer });
  });
  try {
    socket.send(query, server.port, server.ipAddr, (error) => {
      if (error) finish({ kind: "error", error });
    });
  } catch (error) {
    finish({ kind: "error", error });
  }
  return promise;
}

/**
 * Sends `query` over a new TCP connection and reads one length-prefixed message back; a message
 * that is not accepted is an error (a TCP stream cannot be spoofed blindly, so a mismatch means a
 * broken server). Never rejects.
 */
export async function exchangeTcp<T>(
  server: NameServer,
  query: Uint8Array,
  options: ExchangeOptions<T>,
): Promise<Exchange<T>> {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), options.timeoutMs);
  const signals = options.signal === undefined
    ? [timeout.signal]
    : [options.signal, timeout.signal];
  const stop = AbortSignal.any(signals);
  let conn: Deno.TcpConn | undefined;
  const close = () => closeQuietly(conn);
  stop.addEventListener("abort", close, { once: true });
  try {
    conn = await Deno.connect({ hostname: server.ipAddr, port: server.port, signal: stop });
    if (stop.aborted) throw stop.reason;
    await writeAll(conn, withLengthPrefix(query));
    const answer = options.accept(await readMessage(conn));
    if (answer === undefined) {
      throw new Error("Cannot use the TCP answer: it does not match the query");
    }
    return { kind: "answer", answer };
  } catch (error) {
    if (options.signal?.aborted) return aborted(options.signal);
    if (timeout.signal.aborted) return { kind: "timeout" };
    return { kind: "error", error };
  } finally {
    clearTimeout(timer);
    stop.removeEventListener("abort", close);
    close();
  }
}

function aborted(signal: AbortSignal): { kind: "aborted"; reason: unknown } {
  return { kind: "aborted", reason: signal.reason };
}

/** `"ip:port"`, or `"[ipv6]:port"`. */
export function formatServer(server: NameServer): string {
  return server.ipAddr.includes(":")
    ? `[${server.ipAddr}]:${server.port}`
    : `${server.ipAddr}:${server.port}`;
}

// One spelling per address, so a reply's source compares equal to the server asked.
function canonicalAddress(address: string): string {
  const bare = address.split("%")[0].toLowerCase();
  if (!bare.includes(":")) return bare;
  try {
    return new URL(`http://[${bare}]/`).hostname;
  } catch {
    return bare;
  }
}

function withLengthPrefix(message: Uint8Array): Uint8Array {
  const framed = new Uint8Array(message.length + 2);
  new DataView(framed.buffer).setUint16(0, message.length);
  framed.set(message, 2);
  return framed;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}

// RFC 1035 §4.2.2: a two-octet length, then the message.
async function readMessage(conn: Deno.Conn): Promise<Uint8Array> {
  const header = await readExactly(conn, 2);
  const length = new DataView(header.buffer).getUint16(0);
  return await readExactly(conn, length);
}

async function readExactly(conn: Deno.Conn, length: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const read = await conn.read(bytes.subarray(filled));
    if (read === null) {
      throw new Error(`Cannot read the TCP answer: connection closed after ${filled} octets`);
    }
    filled += read;
  }
  return bytes;
}

function closeQuietly(conn: Deno.Conn | undefined): void {
  try {
    conn?.close();
  } catch {
    // already closed
  }
}
