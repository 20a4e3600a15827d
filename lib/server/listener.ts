import { getLogger } from "../observe/mod.ts";
import { shuttingDown } from "../smtp/mod.ts";
import {
  type ConnectionServices,
  type ConnectionSettings,
  type ConnectionSnapshot,
  SmtpConnection,
} from "./connection.ts";
import { TcpTransport } from "./transport.ts";
import { type ConnectionCaps, ConnectionLimiter } from "./limits.ts";

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
  #stopping = false;

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
   * transaction finish for up to `graceMs`, then closes the rest.
   */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    this.#server.close();
    const deadline = this.#services.now() + graceMs;
    while (this.#connections.size > 0 && this.#services.now() < deadline) {
      for (const connection of this.#connections) {
        if (connection.idle) connection.shutdown(shuttingDown(this.#options.settings.hostname));
      }
      await this.#anyClosedWithin(50);
    }
    for (const connection of this.#connections) {
      connection.shutdown(shuttingDown(this.#options.settings.hostname));
    }
    await Promise.all([...this.#connections].map((c) => c.closed));
    await this.#acceptLoop;
  }

  async #anyClosedWithin(ms: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.race([...this.#connections].map((c) => c.closed)),
      new Promise((resolve) => timer = setTimeout(resolve, ms)),
    ]);
    clearTimeout(timer);
  }

  async #acceptAll(): Promise<void> {
    try {
      for await (const conn of this.#server) this.#accept(conn);
    } catch (error) {
      if (!this.#stopping) logger.error("Listener stopped accepting: {error}", { error });
    }
  }

  #accept(conn: Deno.TcpConn): void {
    const transport = new TcpTransport(conn);
    const ip = transport.peer.address;
    const refusal = this.#stopping ? "shutting-down" : this.#limiter.admit(ip);
    if (refusal !== undefined) {
      logger.warn("Connection from {ip} refused: {reason}", { ip, reason: refusal });
      const text = refusal === "shutting-down"
        ? "421 4.3.2 Service shutting down\r\n"
        : `421 4.7.0 ${this.#options.settings.hostname} Error: too many connections\r\n`;
      transport.write(new TextEncoder().encode(text));
      transport.end();
      setTimeout(() => transport.destroy(), 1000);
      return;
    }
    const connection = new SmtpConnection(transport, this.#services, this.#options.settings);
    this.#connections.add(connection);
    connection.closed.then(() => {
      this.#connections.delete(connection);
      this.#limiter.release(ip);
    });
    connection.start();
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
