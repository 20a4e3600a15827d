/**
 * Keeps connections to next hops open between messages, as Postfix's
 * `scache` does: a connection that finished a transaction waits, idle, for the
 * next message to the same destination, which then skips the TCP handshake,
 * greeting, EHLO, STARTTLS and AUTH.
 *
 * @module
 */

/** What the pool needs from a connection (a subset of `SmtpClientConnection`). */
export interface PoolableConnection {
  /** Whether the connection can take another transaction. */
  readonly usable: boolean;
  /** Sends RSET; resolves to whether the connection is still usable. */
  reset(): Promise<boolean>;
  /** Sends QUIT and closes. */
  quit(): Promise<void>;
  /** Closes at once. */
  close(): Promise<void>;
}

/** Timers, injected so tests can run idle expiry without waiting. */
export interface PoolTimers {
  /** Schedules `callback`; returns a handle for {@link clearTimeout}. */
  setTimeout(callback: () => void, ms: number): unknown;
  /** Cancels a scheduled callback. */
  clearTimeout(handle: unknown): void;
}

/** Options of {@link ConnectionPool}. */
export interface ConnectionPoolOptions {
  /** Keep connections for reuse at all; `false` quits each one after its transaction. @default {true} */
  readonly reuse?: boolean;
  /** How long an idle connection is kept (Postfix `smtp_connection_cache_time_limit`). @default {30000} */
  readonly idleTimeoutMs?: number;
  /** Transactions per connection before it is closed (Postfix `smtp_connection_reuse_count_limit`). @default {100} */
  readonly maxMessagesPerConnection?: number;
  /** Idle connections kept per destination key. @default {10} */
  readonly maxIdlePerKey?: number;
  /** Idle connections kept in all. @default {1000} */
  readonly maxIdle?: number;
  /** How long QUIT may take when the pool closes a connection before it is cut. @default {1000} */
  readonly quitTimeoutMs?: number;
  /** Timer functions. @default {globalThis} */
  readonly timers?: PoolTimers;
}

/** Counters of a {@link ConnectionPool}, for metrics. */
export interface PoolStats {
  /** {@link ConnectionPool.take} calls answered with a pooled connection. */
  readonly hits: number;
  /** {@link ConnectionPool.take} calls that found none (the caller opens one). */
  readonly misses: number;
  /** Pooled connections whose RSET failed (closed; the next one was tried). */
  readonly resetFailures: number;
  /** Idle connections expired by the idle timeout. */
  readonly expired: number;
  /** Idle connections in the pool now. */
  readonly size: number;
}

interface IdleEntry<C> {
  readonly connection: C;
  readonly timer: unknown;
}

/**
 * A cache of idle connections by destination key (see {@link poolKey}).
 *
 * A caller first {@link take}s a connection for its key: the pool hands out the
 * most recently used idle one after a successful RSET (a failed RSET closes it
 * and the next one is tried), or `undefined` when it has none, and the caller
 * opens a new connection. After the transaction the caller {@link give}s it
 * back; the pool keeps it unless it is unusable, has carried
 * `maxMessagesPerConnection` transactions, or its key or the pool is full —
 * then it is quit. Idle connections are quit after `idleTimeoutMs`; each has
 * one timer, cleared when it is taken or the pool closes, so no timer outlives
 * {@link close}.
 *
 * @example
 * ```ts
 * import { ConnectionPool } from "./connection_pool.ts";
 * import assert from "node:assert/strict";
 * const connection = {
 *   usable: true,
 *   reset: () => Promise.resolve(true),
 *   quit: () => Promise.resolve(),
 *   close: () => Promise.resolve(),
 * };
 * const pool = new ConnectionPool<typeof connection>();
 * assert.equal(await pool.take("192.0.2.1:25"), undefined); // a miss: open one
 * await pool.give("192.0.2.1:25", connection);
 * assert.equal(await pool.take("192.0.2.1:25"), connection); // a hit, after RSET
 * await pool.give("192.0.2.1:25", connection);
 * await pool.close();
 * assert.deepEqual(pool.stats(), { hits: 1, misses: 1, resetFailures: 0, expired: 0, size: 0 });
 * ```
 */
export class ConnectionPool<C extends PoolableConnection> {
  readonly #options: Required<Omit<ConnectionPoolOptions, "timers">>;
  readonly #timers: PoolTimers;
  readonly #idle = new Map<string, IdleEntry<C>[]>();
  readonly #uses = new WeakMap<C, number>();
  readonly #closing = new Set<Promise<void>>();
  #counters = { hits: 0, misses: 0, resetFailures: 0, expired: 0, size: 0 };
  #closed = false;

  /**
   * Creates an empty pool.
   *
   * @param options Limits, timeouts and timers.
   * @throws {RangeError} If a limit is not an integer >= 1 or a timeout is negative.
   */
  constructor(options: ConnectionPoolOptions = {}) {
    this.#options = {
      reuse: options.reuse ?? true,
      idleTimeoutMs: nonNegative("idleTimeoutMs", options.idleTimeoutMs ?? 30_000),
      maxMessagesPerConnection: atLeastOne(
        "maxMessagesPerConnection",
        options.maxMessagesPerConnection ?? 100,
      ),
      maxIdlePerKey: atLeastOne("maxIdlePerKey", options.maxIdlePerKey ?? 10),
      maxIdle: atLeastOne("maxIdle", options.maxIdle ?? 1000),
      quitTimeoutMs: nonNegative("quitTimeoutMs", options.quitTimeoutMs ?? 1000),
    };
    this.#timers = options.timers ?? {
      setTimeout: (callback, ms) => setTimeout(callback, ms),
      clearTimeout: (handle) => clearTimeout(handle as number),
    };
  }

  /**
   * Takes an idle connection for `key` that answered RSET, if there is one.
   *
   * @param key The destination key.
   * @returns A connection ready for a transaction, or `undefined` (open a new one).
   */
  async take(key: string): Promise<C | undefined> {
    while (true) {
      const entry = this.#idle.get(key)?.at(-1);
      if (entry === undefined) break;
      this.#forget(key, entry);
      if (entry.connection.usable && await entry.connection.reset().catch(() => false)) {
        this.#counters.hits++;
        return entry.connection;
      }
      this.#counters.resetFailures++;
      await entry.connection.close().catch(() => {});
    }
    this.#counters.misses++;
    return undefined;
  }

  /**
   * Gives a connection back after a transaction; it is kept for `key` or quit.
   * A connection that ended in a session failure may be given too: being
   * unusable, it is closed.
   *
   * @param key The destination key.
   * @param connection The connection, whether taken from the pool or newly opened.
   */
  async give(key: string, connection: C): Promise<void> {
    const uses = (this.#uses.get(connection) ?? 0) + 1;
    this.#uses.set(connection, uses);
    const entries = this.#idle.get(key) ?? [];
    const keep = this.#options.reuse && !this.#closed && connection.usable &&
      uses < this.#options.maxMessagesPerConnection &&
      entries.length < this.#options.maxIdlePerKey &&
      this.#counters.size < this.#options.maxIdle;
    if (!keep) {
      await this.#quit(connection);
      return;
    }
    const entry: IdleEntry<C> = {
      connection,
      timer: this.#timers.setTimeout(() => this.#expire(key, entry), this.#options.idleTimeoutMs),
    };
    entries.push(entry);
    this.#idle.set(key, entries);
    this.#counters.size++;
  }

  /** Counters and the number of idle connections. */
  stats(): PoolStats {
    return { ...this.#counters };
  }

  /** Quits every idle connection, clears every timer; later {@link give}s quit at once. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const [key, entries] of [...this.#idle]) {
      for (const entry of [...entries]) {
        this.#forget(key, entry);
        void this.#quit(entry.connection);
      }
    }
    while (this.#closing.size > 0) await Promise.all(this.#closing);
  }

  /** Closes the pool: {@link close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #expire(key: string, entry: IdleEntry<C>): void {
    if (!this.#forget(key, entry)) return;
    this.#counters.expired++;
    void this.#quit(entry.connection);
  }

  /** Removes an entry from the idle set and clears its timer; false if it was not there. */
  #forget(key: string, entry: IdleEntry<C>): boolean {
    this.#timers.clearTimeout(entry.timer);
    const entries = this.#idle.get(key) ?? [];
    const index = entries.indexOf(entry);
    if (index < 0) return false;
    entries.splice(index, 1);
    if (entries.length === 0) this.#idle.delete(key);
    this.#counters.size--;
    return true;
  }

  /** QUIT, bounded by `quitTimeoutMs` (then the socket is cut); tracked so close() waits. */
  #quit(connection: C): Promise<void> {
    const cut = this.#timers.setTimeout(
      () => void connection.close().catch(() => {}),
      this.#options.quitTimeoutMs,
    );
    const done = connection.quit().catch(() => connection.close().catch(() => {}))
      .finally(() => {
        this.#timers.clearTimeout(cut);
        this.#closing.delete(done);
      });
    this.#closing.add(done);
    return done;
  }
}

/**
 * The key under which connections are shared: only a connection opened with
 * the same address, port, certificate name, TLS settings, AUTH user and
 * protocol may carry another message.
 *
 * @param hop Where the connection goes.
 * @returns The key.
 *
 * @example
 * ```ts
 * import { poolKey } from "./connection_pool.ts";
 * import assert from "node:assert/strict";
 * const key = poolKey({ address: "192.0.2.1", port: 25, name: "mx.example", tls: "opportunistic", verifyCertificates: false, lmtp: false });
 * assert.equal(key, "smtp 192.0.2.1:25 mx.example opportunistic noverify -");
 * ```
 */
export function poolKey(hop: {
  readonly address: string;
  readonly port: number;
  readonly name: string;
  readonly tls: string;
  readonly verifyCertificates: boolean;
  readonly authUser?: string;
  readonly lmtp: boolean;
}): string {
  const address = hop.address.includes(":") ? `[${hop.address}]` : hop.address;
  return [
    hop.lmtp ? "lmtp" : "smtp",
    `${address}:${hop.port}`,
    hop.name.toLowerCase(),
    hop.tls,
    hop.verifyCertificates ? "verify" : "noverify",
    hop.authUser === undefined ? "-" : encodeURIComponent(hop.authUser),
  ].join(" ");
}

function atLeastOne(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot create connection pool: ${name} "${value}" is not an integer >= 1`,
    );
  }
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`Cannot create connection pool: ${name} "${value}" is negative`);
  }
  return value;
}
