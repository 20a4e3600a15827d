import { getLogger } from "../observe/mod.ts";
import { formatReply, shuttingDown } from "../smtp/mod.ts";
import { SmtpConnection } from "./connection.ts";
import type {
  ConnectionServices,
  ConnectionSettings,
  ConnectionSnapshot,
} from "./connection_types.ts";
import { TcpTransport } from "./transport.ts";
import { type AdmissionRefusal, type ConnectionCaps, ConnectionLimiter } from "./limits.ts";

const logger = getLogger(["empath", "server"]);

/** Error raised when a listener cannot bind its address. */
export class ListenError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ListenError";
  }
}

/** Where a listener binds and how its connections behave. */
export interface ListenerOptions {
  readonly hostname: string;
  readonly port: number;
  readonly settings: ConnectionSettings;
  readonly caps: ConnectionCaps;
}

/**
 * One SMTP listening socket. Admits connections under the global and per-IP
 * caps (`421 4.7.0` beyond them) and runs an {@link SmtpConnection} for each.
 *
 * @example
 * ```ts ignore
 * const listener = await SmtpListener.start(options, services);
 * console.log(listener.address.port);
 * await listener.stop(10_000);
 * ```
 */
export class SmtpListener {
  readonly #server: Deno.TcpListener;
  #options: ListenerOptions;
  #services: ConnectionServices;
  readonly #limiter: ConnectionLimiter;
  readonly #connections = new Set<SmtpConnection>();
  /** Connections answered with a `421` at accept time, until they close. */
  readonly #refused = new Set<TcpTransport>();
  #phase: "accepting" | "draining" | "closed" = "accepting";

  readonly #acceptLoop: Promise<void>;

  private constructor(options: ListenerOptions, services: ConnectionServices) {
    this.#options = options;
    this.#services = services;
    this.#limiter = new ConnectionLimiter(options.caps);
    this.#server = listen(options.hostname, options.port);
    this.#acceptLoop = this.#acceptAll();
  }

  /**
   * Binds the address and starts accepting connections.
   *
   * @throws {ListenError} when the address cannot be bound.
   */
  static start(options: ListenerOptions, services: ConnectionServices): Promise<SmtpListener> {
    try {
      return Promise.resolve(new SmtpListener(options, services));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The bound address (with the real port when the configured port was 0). */
  get address(): { hostname: string; port: number } {
    const addr = this.#server.addr;
    return { hostname: addr.hostname, port: addr.port };
  }

  /**
   * Applies reloaded settings and services (policy, users, TLS context) to new
   * connections; open connections finish with the ones they started with.
   */
  update(settings: ConnectionSettings, services: ConnectionServices): void {
    this.#options = { ...this.#options, settings };
    this.#services = services;
  }

  /** Snapshots of the open connections. */
  connections(): ConnectionSnapshot[] {
    return [...this.#connections].map((connection) => connection.snapshot());
  }

  /**
   * Stops accepting, closes idle sessions with `421 4.3.2`, lets sessions in a
   * transaction finish for up to `graceMs`, then closes the rest and the
   * listening socket: {@link drain}, then {@link close}.
   */
  async stop(graceMs: number): Promise<void> {
    await this.drain(graceMs);
    await this.close();
  }

  /**
   * Stops admitting sessions. The socket stays bound, so a client connecting
   * now reads `421 4.3.2 <hostname> Service shutting down` instead of meeting a
   * refused connection. Idle sessions get the same reply at once; sessions in a
   * transaction may finish it for up to `graceMs`, then get it too. Resolves
   * once every session is closed.
   */
  async drain(graceMs: number): Promise<void> {
    if (this.#phase === "accepting") this.#phase = "draining";
    const reply = shuttingDown(this.#options.settings.hostname);
    for (const connection of this.#connections) connection.closeWhenIdle(reply);
    await this.#allClosedWithin(graceMs);
    for (const connection of this.#connections) connection.shutdown(reply);
    await Promise.all([...this.#connections].map((c) => c.closed));
  }

  /** Closes the listening socket and the connections refused at accept time. Idempotent. */
  async close(): Promise<void> {
    if (this.#phase !== "closed") {
      this.#phase = "closed";
      this.#server.close();
    }
    for (const transport of this.#refused) transport.destroy();
    await Promise.all([...this.#refused].map((transport) => transport.closed));
    await this.#acceptLoop;
  }

  async #allClosedWithin(ms: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all([...this.#connections].map((c) => c.closed)),
      new Promise((resolve) => timer = setTimeout(resolve, ms)),
    ]);
    clearTimeout(timer);
  }

  async #acceptAll(): Promise<void> {
    try {
      for await (const conn of this.#server) this.#accept(conn);
    } catch (error) {
      if (this.#phase !== "closed") {
        logger.error("Listener stopped accepting: {error}", { error });
      }
    }
  }

  #accept(conn: Deno.TcpConn): void {
    const transport = new TcpTransport(conn);
    const ip = transport.peer.address;
    const refusal = this.#phase === "accepting" ? this.#limiter.admit(ip) : "shutting-down";
    if (refusal !== undefined) return this.#refuse(transport, refusal);
    const connection = new SmtpConnection(transport, this.#services, this.#options.settings);
    const { listener } = this.#options.settings;
    const metrics = this.#services.metrics;
    metrics?.connectionOpened(listener);
    this.#connections.add(connection);
    connection.closed.then(() => {
      this.#connections.delete(connection);
      this.#limiter.release(ip);
      metrics?.connectionClosed(listener);
    });
    connection.start();
  }

  #refuse(transport: TcpTransport, refusal: AdmissionRefusal): void {
    const { hostname } = this.#options.settings;
    const ip = transport.peer.address;
    this.#services.metrics?.connectionRejected(this.#options.settings.listener, refusal);
    if (refusal === "shutting-down") {
      logger.info("Connection from {ip} refused: shutting down", { ip });
    } else {
      logger.warn("Connection from {ip} refused: {reason}", { ip, reason: refusal });
    }
    // No EHLO yet, but the enhanced code tells a client this is temporary (as Postfix does).
    const text = refusal === "shutting-down"
      ? formatReply(shuttingDown(hostname), { enhanced: true })
      : `421 4.7.0 ${hostname} Error: too many connections\r\n`;
    transport.write(new TextEncoder().encode(text));
    transport.end();
    this.#refused.add(transport);
    const timer = setTimeout(() => transport.destroy(), 1000);
    transport.closed.then(() => {
      clearTimeout(timer);
      this.#refused.delete(transport);
    });
  }
}

function listen(hostname: string, port: number): Deno.TcpListener {
  try {
    return Deno.listen({ hostname, port, transport: "tcp" });
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new ListenError(`Cannot listen on "${hostname}:${port}": ${reason}`, { cause });
  }
}
