/** Connection caps, as plain data taken from `[limits]`. */
export interface ConnectionCaps {
  /** Most connections open at once across all clients. */
  readonly maxConnections: number;
  /** Most connections open at once from one client address. */
  readonly maxConnectionsPerIp: number;
}

/** Why a connection was refused, or `undefined` when it may proceed. */
export type AdmissionRefusal = "global-limit" | "per-ip-limit" | "shutting-down";

/**
 * Counts open connections, globally and per client address, so that one client
 * (or a flood of them) cannot exhaust the server.
 *
 * @example
 * ```ts
 * const limiter = new ConnectionLimiter({ maxConnections: 2, maxConnectionsPerIp: 1 });
 * limiter.admit("192.0.2.1"); // undefined: admitted
 * limiter.admit("192.0.2.1"); // "per-ip-limit"
 * ```
 */
export class ConnectionLimiter {
  readonly #caps: ConnectionCaps;
  readonly #perIp = new Map<string, number>();
  #total = 0;

  constructor(caps: ConnectionCaps) {
    this.#caps = caps;
  }

  /** Number of connections currently admitted. */
  get total(): number {
    return this.#total;
  }

  /** Admits a connection from `ip` and counts it, or says why it is refused. */
  admit(ip: string): AdmissionRefusal | undefined {
    if (this.#total >= this.#caps.maxConnections) return "global-limit";
    const current = this.#perIp.get(ip) ?? 0;
    if (current >= this.#caps.maxConnectionsPerIp) return "per-ip-limit";
    this.#perIp.set(ip, current + 1);
    this.#total++;
    return undefined;
  }

  /** Releases a connection previously admitted for `ip`. */
  release(ip: string): void {
    const current = this.#perIp.get(ip);
    if (current === undefined) return;
    if (current <= 1) this.#perIp.delete(ip);
    else this.#perIp.set(ip, current - 1);
    this.#total--;
  }
}
