/**
 * The byte stream under an outgoing SMTP connection: Deno's TCP connection,
 * then node:tls over it after STARTTLS (Deno.startTls cannot turn certificate
 * verification off per connection); or a Unix socket (local LMTP), without TLS.
 *
 * @module
 */
import { connDuplex, writeAll } from "../net/mod.ts";
import tls from "node:tls";
import type { ClientTlsInfo } from "../smtp/mod.ts";

const READ_BUFFER_SIZE = 64 * 1024;

/** How to run the client side of a TLS handshake. */
export interface ClientTlsOptions {
  /** The name to verify the certificate against, and to send as SNI unless an IP literal. */
  readonly servername: string;
  /** Whether to reject certificates that do not verify. */
  readonly verifyCertificates: boolean;
  /** PEM CA certificates to trust instead of the system store. */
  readonly caCerts?: readonly string[];
}

/** Reads and writes a connection with explicit closing; reads return `null` at the end. */
export class ClientSocket {
  readonly #conn: Deno.TcpConn | Deno.UnixConn;
  #secure: SecureReader | undefined;
  #closed = false;
  #pendingRead: Promise<unknown> | undefined;

  constructor(conn: Deno.TcpConn | Deno.UnixConn) {
    this.#conn = conn;
    if (conn.remoteAddr.transport === "tcp") (conn as Deno.TcpConn).setNoDelay(true);
  }

  /** The local IP address of a TCP connection (RFC 8460 `sending-mta-ip`); none for a Unix socket. */
  get localAddress(): string | undefined {
    const local = this.#conn.localAddr;
    return local.transport === "tcp" ? local.hostname : undefined;
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Reads the next bytes; `null` when the peer closed or the socket failed. */
  read(): Promise<Uint8Array | null> {
    if (this.#closed) return Promise.resolve(null);
    if (this.#secure !== undefined) return this.#secure.read();
    const buffer = new Uint8Array(READ_BUFFER_SIZE);
    const read = this.#conn.read(buffer).then(
      (n) => (n === null ? null : buffer.subarray(0, n)),
      () => null,
    );
    this.#pendingRead = read;
    return read;
  }

  /** Writes all bytes; resolves once they are handed to the OS (backpressure). */
  async write(bytes: Uint8Array): Promise<void> {
    if (this.#closed) throw new Deno.errors.BadResource("The connection is closed");
    if (this.#secure !== undefined) return await this.#secure.write(bytes);
    await writeAll(this.#conn, bytes);
  }

  /**
   * Runs the TLS handshake over the connection (RFC 3207).
   *
   * @throws {Deno.errors.NotSupported} Over a Unix socket.
   */
  async startTls(options: ClientTlsOptions): Promise<ClientTlsInfo> {
    if (this.#conn.remoteAddr.transport !== "tcp") {
      throw new Deno.errors.NotSupported("Cannot start TLS over a Unix socket");
    }
    await this.#pendingRead;
    const name = options.servername;
    const socket = tls.connect({
      socket: connDuplex(this.#conn),
      host: name,
      servername: isIpLiteral(name) ? undefined : name,
      rejectUnauthorized: options.verifyCertificates,
      ca: options.caCerts === undefined ? undefined : [...options.caCerts],
      minVersion: "TLSv1.2",
    });
    this.#secure = new SecureReader(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once("secureConnect", () => {
        socket.removeListener("error", reject);
        resolve();
      });
      socket.once("error", reject);
    });
    // node:tls checks chain and name (checkServerIdentity) even when it does not reject.
    const verifyError = socket.authorizationError;
    return {
      version: socket.getProtocol() ?? "unknown",
      cipher: socket.getCipher()?.name ?? "",
      verified: socket.authorized,
      ...(verifyError ? { verifyError: String(verifyError) } : {}),
    };
  }

  /** Closes the connection; pending reads resolve `null`, pending writes reject. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#secure !== undefined) {
      await this.#secure.destroy();
      return;
    }
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
    await this.#pendingRead;
  }
}

/** Pull-style reading of a node socket, pausing it while nobody reads. */
class SecureReader {
  readonly #socket: tls.TLSSocket;
  readonly #chunks: Uint8Array[] = [];
  #ended = false;
  #wake: (() => void) | undefined;
  readonly #closed: Promise<void>;

  constructor(socket: tls.TLSSocket) {
    this.#socket = socket;
    this.#closed = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.pause();
    socket.on("data", (chunk: Uint8Array) => {
      this.#chunks.push(chunk);
      socket.pause();
      this.#notify();
    });
    const end = () => {
      this.#ended = true;
      this.#notify();
    };
    socket.on("end", end);
    socket.on("close", end);
    socket.on("error", end);
  }

  async read(): Promise<Uint8Array | null> {
    while (true) {
      const chunk = this.#chunks.shift();
      if (chunk !== undefined) return chunk;
      if (this.#ended) return null;
      const woken = new Promise<void>((resolve) => this.#wake = resolve);
      this.#socket.resume();
      await woken;
    }
  }

  write(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#ended) return reject(new Deno.errors.BrokenPipe("The connection is closed"));
      this.#socket.write(bytes, (error) => (error ? reject(error) : resolve()));
    });
  }

  async destroy(): Promise<void> {
    this.#socket.destroy();
    this.#ended = true;
    this.#notify();
    await this.#closed;
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

function isIpLiteral(name: string): boolean {
  return /^[\d.]+$/.test(name) || name.includes(":");
}

/**
 * Connects over TCP, giving up after `timeoutMs` or when `signal` aborts.
 *
 * @throws {Error} When the connection cannot be made.
 */
export async function connectTcp(
  options: { host: string; port: number; timeoutMs: number; signal?: AbortSignal },
): Promise<Deno.TcpConn> {
  return await withTimeout(
    options,
    (signal) => Deno.connect({ hostname: options.host, port: options.port, signal }),
  );
}

/**
 * Connects to a Unix stream socket, giving up after `timeoutMs` or when `signal` aborts.
 *
 * @throws {Error} When the connection cannot be made.
 */
export async function connectUnix(
  options: { path: string; timeoutMs: number; signal?: AbortSignal },
): Promise<Deno.UnixConn> {
  // Deno.connect() takes no signal for Unix sockets: race it, and close a late connection.
  return await withTimeout(options, (signal) => {
    const connecting = Deno.connect({ transport: "unix", path: options.path });
    const aborted = new Promise<never>((_, reject) => {
      if (signal.aborted) reject(signal.reason);
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
    return Promise.race([connecting, aborted]).catch((error) => {
      connecting.then((conn) => conn.close(), () => {});
      throw error;
    });
  });
}

async function withTimeout<T>(
  options: { timeoutMs: number; signal?: AbortSignal },
  connect: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new Deno.errors.TimedOut(`Timed out after ${options.timeoutMs} ms`)),
    options.timeoutMs,
  );
  const signal = options.signal === undefined
    ? controller.signal
    : AbortSignal.any([controller.signal, options.signal]);
  try {
    return await connect(signal);
  } finally {
    clearTimeout(timer);
  }
}
