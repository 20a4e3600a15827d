/**
 * An in-test SMTP receiving peer that answers the end of DATA only after a
 * chosen delay, and knows whether its `250` was sent or the client hung up
 * first: the view of the receiving side that shutdown tests need to tell
 * "confirmed" deliveries from cut ones.
 */

import { servePeer } from "./net.ts";

/** One message the peer received, whole (the final dot arrived). */
export interface SlowPeerMessage {
  readonly body: string;
  /** `Date.now()` when the final dot arrived. */
  readonly receivedAt: number;
  /** `"pending"` while the reply is held back, then `"confirmed"` (250 sent) or `"cut"` (client hung up first). */
  state: "pending" | "confirmed" | "cut";
}

/** Options of {@link startSlowPeer}. */
export interface SlowPeerOptions {
  /**
   * How long to hold back the reply to a message's final dot; `seen` counts the
   * earlier copies of the same body.
   */
  delayMs(message: { body: string; seen: number }): number;
}

/** A running slow peer. */
export interface SlowPeer extends AsyncDisposable {
  readonly port: number;
  readonly messages: readonly SlowPeerMessage[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Starts the peer on a free loopback port. */
export function startSlowPeer(options: SlowPeerOptions): SlowPeer {
  const messages: SlowPeerMessage[] = [];
  const peer = servePeer((conn) => serve(conn, options, messages));
  return {
    port: peer.port,
    messages,
    [Symbol.asyncDispose]: () => peer[Symbol.asyncDispose](),
  };
}

/** Reads CRLF lines from a connection and notices when the client hangs up. */
class LineReader {
  readonly #conn: Deno.Conn;
  readonly hungUp: Promise<void>;
  #resolveHungUp!: () => void;
  #buffer = "";
  #wake: (() => void) | undefined;
  #ended = false;

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
    this.hungUp = new Promise((resolve) => this.#resolveHungUp = resolve);
    void this.#pump();
  }

  /** The next line without its CRLF, or undefined once the client hung up. */
  async line(): Promise<string | undefined> {
    while (true) {
      const end = this.#buffer.indexOf("\r\n");
      if (end >= 0) {
        const line = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        return line;
      }
      if (this.#ended) return undefined;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
  }

  async #pump(): Promise<void> {
    const chunk = new Uint8Array(65536);
    try {
      while (true) {
        const n = await this.#conn.read(chunk);
        if (n === null) break;
        this.#buffer += decoder.decode(chunk.subarray(0, n), { stream: true });
        this.#wake?.();
      }
    } catch {
      // reset by the client
    }
    this.#ended = true;
    this.#resolveHungUp();
    this.#wake?.();
  }
}

async function serve(
  conn: Deno.Conn,
  options: SlowPeerOptions,
  messages: SlowPeerMessage[],
): Promise<void> {
  const reader = new LineReader(conn);
  const send = (text: string) => conn.write(encoder.encode(text));
  await send("220 slow.peer.test ESMTP\r\n");
  while (true) {
    const line = await reader.line();
    if (line === undefined) return;
    const verb = line.slice(0, 4).toUpperCase();
    if (verb === "QUIT") return void await send("221 2.0.0 Bye\r\n");
    if (verb !== "DATA") {
      await send(verb === "EHLO" ? "250-slow.peer.test\r\n250 8BITMIME\r\n" : "250 2.0.0 Ok\r\n");
      continue;
    }
    await send("354 End data with <CR><LF>.<CR><LF>\r\n");
    const lines: string[] = [];
    let next: string | undefined;
    while ((next = await reader.line()) !== ".") {
      if (next === undefined) return;
      lines.push(next);
    }
    const body = lines.join("\r\n");
    const seen = messages.filter((message) => message.body === body).length;
    const message: SlowPeerMessage = { body, receivedAt: Date.now(), state: "pending" };
    messages.push(message);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const held = await Promise.race([
      new Promise<"sent">((resolve) => {
        timer = setTimeout(() => resolve("sent"), options.delayMs({ body, seen }));
      }),
      reader.hungUp.then(() => "cut" as const),
    ]);
    clearTimeout(timer);
    if (held === "cut") return void (message.state = "cut");
    await send("250 2.0.0 Ok: queued\r\n");
    message.state = "confirmed";
  }
}
