import net from "node:net";
import { getLogger } from "../observe/mod.ts";
import { shuttingDown } from "../smtp/mod.ts";
import {
  type ConnectionServices,
  type ConnectionSettings,
  type ConnectionSnapshot,
  normalizeIp,
  SmtpConnection,
} from "./connection.ts";
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
  readonly #server: net.Server;
  readonly #options: ListenerOptions;
  readonly #services: ConnectionServices;
  readonly #limiter: ConnectionLimiter;
  readonly #connections = new Set<SmtpConnection>();
  #stopping = false;

  private constructor(options: ListenerOptions, services: ConnectionServices) {
    this.#options = options;
    this.#services = services;
    this.#limiter = new ConnectionLimiter(options.caps);
    this.#server = net.createServer({ pauseOnConnect: false }, (socket) => this.#accept(socket));
  }

  /** Binds the address and starts accepting connections. */
  static async start(
    options: ListenerOptions,
    services: ConnectionServices,
  ): Promise<SmtpListener> {
    const listener = new SmtpListener(options, services);
    await listener.#listen();
    return listener;
  }

  /** The bound address (with the real port when the configured port was 0). */
  get address(): { hostname: string; port: number } {
    const info = this.#server.address() as net.AddressInfo;
    return { hostname: info.address, port: info.port };
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
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    const deadline = this.#services.now() + graceMs;
    while (this.#connections.size > 0 && this.#services.now() < deadline) {
      for (const connection of this.#connections) {
        if (connection.idle) connection.shutdown(shuttingDown(this.#options.settings.hostname));
      }
      await Promise.race([
        Promise.all([...this.#connections].map((c) => c.closed)),
        new Promise((resolve) => setTimeout(resolve, 50)),
      ]);
    }
    for (const connection of this.#connections) {
      connection.shutdown(shuttingDown(this.#options.settings.hostname));
    }
    await Promise.all([...this.#connections].map((c) => c.closed));
    await closed;
  }

  #listen(): Promise<void> {
    const { hostname, port } = this.#options;
    return new Promise((resolve, reject) => {
      const onError = (cause: Error) => {
        reject(
          new ListenError(`Cannot listen on "${hostname}:${port}": ${cause.message}`, { cause }),
        );
      };
      this.#server.once("error", onError);
      this.#server.listen({ host: hostname, port }, () => {
        this.#server.removeListener("error", onError);
        this.#server.on("error", (error) => logger.error("Listener error: {error}", { error }));
        resolve();
      });
    });
  }

  #accept(socket: net.Socket): void {
    const ip = normalizeIp(socket.remoteAddress ?? "");
    socket.setNoDelay(true);
    const refusal = this.#stopping ? "shutting-down" : this.#limiter.admit(ip);
    if (refusal !== undefined) {
      logger.warn("Connection from {ip} refused: {reason}", { ip, reason: refusal });
      const text = refusal === "shutting-down"
        ? "421 4.3.2 Service shutting down\r\n"
        : `421 4.7.0 ${this.#options.settings.hostname} Error: too many connections\r\n`;
      socket.on("error", () => {});
      socket.end(text);
      return;
    }
    const connection = new SmtpConnection(socket, this.#services, this.#options.settings);
    this.#connections.add(connection);
    connection.closed.then(() => {
      this.#connections.delete(connection);
      this.#limiter.release(ip);
    });
    connection.start();
  }
}
