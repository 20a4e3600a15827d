/**
 * An in-test SMTP receiving peer that advertises DSN (RFC 3461) in its EHLO reply and
 * records the MAIL and RCPT lines exactly as they arrive: the view of a next hop that
 * tests of DSN pass-through need (python aiosmtpd cannot offer DSN).
 */

import { readLines, servePeer } from "./net.ts";

/** One transaction the peer received in full (the final dot arrived). */
export interface DsnPeerMessage {
  /** The MAIL command line, without CRLF. */
  readonly mail: string;
  /** Every RCPT command line of the transaction, accepted or not, without CRLF. */
  readonly rcpts: readonly string[];
  /** The message, dot-unstuffed, CRLF line endings. */
  readonly body: string;
}

/** Options of {@link startDsnPeer}. */
export interface DsnPeerOptions {
  /** Replies to RCPT for given addresses, e.g. `{ "x@example.test": "550 5.1.1 No such user" }`. */
  readonly replies?: Readonly<Record<string, string>>;
}

/** A running DSN peer. */
export interface DsnPeer extends AsyncDisposable {
  readonly host: string;
  readonly port: number;
  /** The transactions received so far, in order. */
  readonly messages: readonly DsnPeerMessage[];
}

/** The EHLO reply: DSN, with the extensions a Postfix next hop would offer beside it. */
const EHLO_REPLY = "250-dsn.peer.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 DSN";
const ADDRESS_REGEXP = /^RCPT TO:<([^>]*)>/i;
const encoder = new TextEncoder();

/**
 * Starts the peer on a free loopback port; dispose it with `await using`.
 *
 * @param options Replies for given recipients (others get `250`).
 * @returns The running peer.
 */
export function startDsnPeer(options: DsnPeerOptions = {}): DsnPeer {
  const messages: DsnPeerMessage[] = [];
  const peer = servePeer((conn) => serve(conn, options, messages));
  return {
    host: "127.0.0.1",
    port: peer.port,
    messages,
    [Symbol.asyncDispose]: () => peer[Symbol.asyncDispose](),
  };
}

/** Plays one SMTP session, recording each complete transaction in `messages`. */
async function serve(
  conn: Deno.Conn,
  options: DsnPeerOptions,
  messages: DsnPeerMessage[],
): Promise<void> {
  const send = (text: string) => conn.write(encoder.encode(`${text}\r\n`));
  const lines = readLines(conn);
  let transaction: { mail: string; rcpts: string[]; accepted: number } | undefined;
  await send("220 dsn.peer.test ESMTP");
  while (true) {
    const { value: line, done } = await lines.next();
    if (done) return;
    const verb = line.split(" ", 1)[0].toUpperCase();
    if (verb === "QUIT") return void await send("221 2.0.0 Bye");
    if (verb === "EHLO") await send(EHLO_REPLY);
    else if (verb === "MAIL") {
      transaction = { mail: line, rcpts: [], accepted: 0 };
      await send("250 2.1.0 Ok");
    } else if (verb === "RCPT" && transaction !== undefined) {
      transaction.rcpts.push(line);
      const reply = options.replies?.[ADDRESS_REGEXP.exec(line)?.[1] ?? ""] ?? "250 2.1.5 Ok";
      if (reply.startsWith("2")) transaction.accepted++;
      await send(reply);
    } else if (verb === "DATA" && transaction !== undefined && transaction.accepted > 0) {
      await send("354 End data with <CR><LF>.<CR><LF>");
      const body = await readBody(lines);
      if (body === undefined) return;
      messages.push({ mail: transaction.mail, rcpts: transaction.rcpts, body });
      transaction = undefined;
      await send("250 2.0.0 Ok: queued");
    } else if (verb === "RSET" || verb === "NOOP") {
      transaction = verb === "RSET" ? undefined : transaction;
      await send("250 2.0.0 Ok");
    } else await send("503 5.5.1 Bad sequence of commands");
  }
}

/** The message up to the final dot, dot-unstuffed; undefined when the client hung up first. */
async function readBody(lines: AsyncGenerator<string>): Promise<string | undefined> {
  let body = "";
  while (true) {
    const { value: line, done } = await lines.next();
    if (done) return undefined;
    if (line === ".") return body;
    body += `${line.startsWith(".") ? line.slice(1) : line}\r\n`;
  }
}
