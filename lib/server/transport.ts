import { connDuplex } from "../net/mod.ts";
import type tls from "node:tls";
import { concatBytes } from "../smtp/mod.ts";
import { type TlsSessionInfo, upgradeToTls } from "./tls.ts";

/** The peer of a connection. */
export interface PeerAddress {
  readonly address: string;
  readonly port: number;
}

/**
 * The byte stream under one SMTP connection, plaintext or TLS. The connection
 * driver only ever talks to this port, so the socket implementation can change
 * (Deno's native TCP for plaintext, node:tls after STARTTLS) without it noticing.
 */
export interface SmtpTransport {
  readonly peer: PeerAddress;
  /** Resolves once the connection is fully closed. */
  readonly closed: Promise<void>;
  /** Where received bytes go; `undefined` reads and drops them. */
  setReceiver(receiver: ((bytes: Uint8Array) => void) | undefined): void;
  /** Stops reading until {@link resume}. */
  pause(): void;
  resume(): void;
  /** Queues bytes for writing, in order. */
  write(bytes: Uint8Array): void;
  /** Writes what is queued, then half-closes. */
  end(): void;
  /** Closes at once. */
  destroy(): void;
  /** Runs the server side of a TLS handshake (STARTTLS) and returns the TLS transport. */
  upgrade(context: tls.SecureContext, timeoutMs: number): Promise<UpgradedTransport>;
}

/** The transport after a successful STARTTLS handshake, with what was negotiated. */
export interface UpgradedTransport {
  readonly transport: SmtpTransport;
  readonly info: TlsSessionInfo;
}

// Most SMTP sessions are small: start with a small read buffer (a 64 KiB one,
// zeroed for every connection, showed in profiles) and grow it when reads fill it.
const INITIAL_READ_BUFFER = 4 * 1024;
const MAX_READ_BUFFER = 64 * 1024;

/**
 * A plaintext transport over Deno's native TCP connection: fewer layers than
 * node:net, which matters at thousands of short sessions per second.
 */
export class TcpTransport implements SmtpTransport {
  readonly peer: PeerAddress;
  readonly closed: Promise<void>;
  readonly #conn: Deno.TcpConn;
  #buffer = new Uint8Array(INITIAL_READ_BUFFER);
  #receiver: ((bytes: Uint8Array) => void) | undefined;
  #resolveClosed!: () => void;
  #wake: (() => void) | undefined;
  #pending: Uint8Array[] = [];
  #state: "reading" | "paused" | "handed-over" | "destroyed" = "reading";
  #writing: Promise<void> | undefined;
  #ending = false;

  constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
    const remote = conn.remoteAddr;
    this.peer = { address: normalizeIp(remote.hostname), port: remote.port };
    this.closed = new Promise((resolve) => this.#resolveClosed = resolve);
    // No TCP_NODELAY for plaintext SMTP: replies are one write per batch of
    // input, so Nagle never holds one back (the client's next command ACKs the
    // last reply), and the per-connection system call showed in profiles. The
    // TLS handshake writes several records in a row, so it is set there.
    void this.#readLoop();
  }

  setReceiver(receiver: ((bytes: Uint8Array) => void) | undefined): void {
    this.#receiver = receiver;
  }

  pause(): void {
    if (this.#state === "reading") this.#state = "paused";
  }

  resume(): void {
    if (this.#state !== "paused") return;
    this.#state = "reading";
    this.#wake?.();
  }

  write(bytes: Uint8Array): void {
    if (this.#state === "destroyed" || this.#ending) return;
    this.#pending.push(bytes);
    this.#writing ??= this.#pump();
  }

  end(): void {
    this.#ending = true;
    if (this.#writing === undefined) this.#closeWrite();
  }

  destroy(): void {
    if (this.#state === "destroyed") return;
    this.#state = "destroyed";
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
    this.#wake?.();
    this.#resolveClosed();
  }

  async upgrade(context: tls.SecureContext, timeoutMs: number): Promise<UpgradedTransport> {
    await this.#writing;
    this.#conn.setNoDelay(true);
    this.#state = "handed-over";
    this.#wake?.();
    const upgraded = await upgradeToTls(connDuplex(this.#conn), context, timeoutMs)
      .catch((error) => {
        this.destroy();
        throw error;
      });
    const transport = new NodeSocketTransport(upgraded.socket, this.peer);
    transport.closed.then(() => this.destroy());
    return { transport, info: upgraded.info };
  }

  async #readLoop(): Promise<void> {
    try {
      while (true) {
        if (this.#state === "paused") await new Promise<void>((resolve) => this.#wake = resolve);
        if (this.#state !== "reading") return;
        const n = await this.#conn.read(this.#buffer);
        if (n === null) break;
        // The session may keep references to what it receives: hand over a copy.
        this.#receiver?.(this.#buffer.slice(0, n));
        if (n === this.#buffer.byteLength && n < MAX_READ_BUFFER) {
          this.#buffer = new Uint8Array(Math.min(MAX_READ_BUFFER, n * 4));
        }
      }
    } catch {
      // reset by the peer or closed locally
    }
    if (this.#state !== "handed-over") this.destroy();
  }

  async #pump(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const bytes = this.#pending.length === 1 ? this.#pending[0] : concatBytes(this.#pending);
        this.#pending = [];
        let offset = 0;
        while (offset < bytes.byteLength) offset += await this.#conn.write(bytes.subarray(offset));
      }
    } catch {
      this.destroy();
    } finally {
      this.#writing = undefined;
    }
    if (this.#ending) this.#closeWrite();
  }

  #closeWrite(): void {
    if (this.#state === "destroyed") return;
    this.#conn.closeWrite().catch(() => this.destroy());
  }
}

/** A transport over a node:net or node:tls socket (used after STARTTLS). */
export class NodeSocketTransport implements SmtpTransport {
  readonly peer: PeerAddress;
  readonly closed: Promise<void>;
  readonly #socket: import("node:net").Socket;
  #receiver: ((bytes: Uint8Array) => void) | undefined;

  constructor(socket: import("node:net").Socket, peer: PeerAddress) {
    this.#socket = socket;
    this.peer = peer;
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.on("data", (bytes: Uint8Array) => this.#receiver?.(bytes));
    socket.on("error", () => socket.destroy());
  }

  setReceiver(receiver: ((bytes: Uint8Array) => void) | undefined): void {
    this.#receiver = receiver;
  }

  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  write(bytes: Uint8Array): void {
    if (!this.#socket.destroyed) this.#socket.write(bytes);
  }

  end(): void {
    this.#socket.end();
  }

  destroy(): void {
    this.#socket.destroy();
  }

  upgrade(): Promise<UpgradedTransport> {
    return Promise.reject(new TypeError("The connection already uses TLS"));
  }
}

/** Strips the IPv4-mapped IPv6 prefix so policy sees `127.0.0.1`, not `::ffff:127.0.0.1`. */
export function normalizeIp(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}
