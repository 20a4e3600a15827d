import { readResolvConf, RESOLV_CONF_PATH } from "./_resolv_conf.ts";
import {
  answerFromResponse,
  decodeMatching,
  encodeQuery,
  type WireQuestion,
  type WireResponse,
} from "./_wire_message.ts";
import {
  type Exchange,
  type ExchangeOptions,
  exchangeTcp,
  exchangeUdp,
  formatServer,
} from "./_wire_transport.ts";
import type { NameServer } from "./name_server.ts";
import type { DnsAnswer, DnsBackend, DnsRecordType } from "./types.ts";

/** UDP tries per name server: the first and one retry after a timeout (RFC 1035 §4.2.1). */
const UDP_TRIES = 2;

/** Options of {@linkcode WireDnsBackend}. */
export interface WireDnsBackendOptions {
  /**
   * The name servers to ask, in order: the next one after a failure (SERVFAIL, REFUSED, an
   * error, or no answer to both tries). Absent: the `nameserver` lines of `resolvConfPath`.
   * @default {undefined}
   */
  readonly nameServers?: readonly NameServer[];
  /**
   * The resolver configuration read on every query when `nameServers` is absent; a file that
   * does not exist or names no server means `127.0.0.1:53`.
   * @default {"/etc/resolv.conf"}
   */
  readonly resolvConfPath?: string;
  /**
   * How long to wait for one answer (one UDP try, or the TCP exchange after a truncated one).
   * @default {5_000}
   */
  readonly timeoutMs?: number;
}

/**
 * A {@linkcode DnsBackend} speaking DNS itself (RFC 1035), so that it sees the RCODE:
 * `dns-packet` encodes and decodes, UDP with EDNS0 (1232 octets) carries, TCP takes over when the
 * answer is truncated (TC set, RFC 7766 §5).
 *
 * - NOERROR with records (after a CNAME chain in the answer section) → `records`; without
 *   records of the type → `no-records`; NXDOMAIN → `nxdomain`;
 * - SERVFAIL, REFUSED and any other RCODE, timeouts and network errors → `temporary-failure`
 *   naming the RCODE or the error, after the other name servers were asked too.
 *
 * Each try uses a new socket and a random id (RFC 5452); a datagram from elsewhere, or one whose
 * id or question (name, type, class) differs from the query, is ignored. A try without an answer
 * within `timeoutMs` is repeated once before the next name server is asked.
 *
 * @example Usage
 * ```ts ignore
 * import { WireDnsBackend } from "./wire_dns_backend.ts";
 *
 * const backend = new WireDnsBackend({ nameServers: [{ ipAddr: "127.0.0.1", port: 5353 }] });
 * const answer = await backend.query("example.org", "MX");
 * if (answer.kind === "records") console.log(answer.records);
 * ```
 */
export class WireDnsBackend implements DnsBackend {
  readonly #nameServers?: readonly NameServer[];
  readonly #resolvConfPath: string;
  readonly #timeoutMs: number;

  /**
   * @param options Name servers and timeout.
   * @throws {RangeError} If `timeoutMs` is not a positive number or `nameServers` is empty.
   */
  constructor(options: WireDnsBackendOptions = {}) {
    const timeoutMs = options.timeoutMs ?? 5_000;
    if (!(timeoutMs > 0)) {
      throw new RangeError(`Cannot use DNS timeout "${timeoutMs}": expected a positive number`);
    }
    if (options.nameServers?.length === 0) {
      throw new RangeError("Cannot use an empty list of name servers: expected at least one");
    }
    this.#nameServers = options.nameServers;
    this.#resolvConfPath = options.resolvConfPath ?? RESOLV_CONF_PATH;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Asks the name servers in turn until one answers with records, NODATA or NXDOMAIN.
   *
   * @param name A normalized name (lowercase, no trailing dot).
   * @param type The record type.
   * @param signal Cancels the query.
   * @returns The answer; never rejects except with `signal.reason` on abort.
   */
  async query(name: string, type: DnsRecordType, signal?: AbortSignal): Promise<DnsAnswer> {
    signal?.throwIfAborted();
    const question = { name, type };
    const failures: string[] = [];
    const servers = await this.#servers().catch((error: unknown) => {
      failures.push(`cannot read ${this.#resolvConfPath}: ${describe(error)}`);
      return [];
    });
    signal?.throwIfAborted();
    for (const server of servers) {
      const answer = await this.#ask(server, question, signal);
      if (answer.kind !== "temporary-failure") return answer;
      failures.push(answer.reason);
    }
    return {
      kind: "temporary-failure",
      reason: `DNS query ${type} "${name}" failed: ${failures.join("; ")}`,
    };
  }

  async #servers(): Promise<readonly NameServer[]> {
    return this.#nameServers ?? await readResolvConf(this.#resolvConfPath);
  }

  // UDP, once more after a timeout; TCP when the UDP answer is truncated.
  async #ask(server: NameServer, question: WireQuestion, signal?: AbortSignal): Promise<DnsAnswer> {
    const label = formatServer(server);
    for (let tries = 1; tries <= UDP_TRIES; tries++) {
      const id = crypto.getRandomValues(new Uint16Array(1))[0];
      const query = encodeQuery(question, id);
      const options: ExchangeOptions<WireResponse> = {
        accept: (bytes) => decodeMatching(bytes, id, question),
        timeoutMs: this.#timeoutMs,
        signal,
      };
      const exchange = await exchangeUdp(server, query, options);
      if (exchange.kind === "timeout") continue;
      if (exchange.kind !== "answer" || !exchange.answer.flag_tc) {
        return this.#answer(exchange, question, label);
      }
      const overTcp = await exchangeTcp(server, query, options);
      return this.#answer(overTcp, question, `${label} (TCP)`);
    }
    return failure(`no answer from ${label} within ${this.#timeoutMs} ms, ${UDP_TRIES} tries`);
  }

  #answer(exchange: Exchange<WireResponse>, question: WireQuestion, label: string): DnsAnswer {
    switch (exchange.kind) {
      case "answer":
        return answerFromResponse(exchange.answer, question, label);
      case "aborted":
        throw exchange.reason;
      case "timeout":
        return failure(`no answer from ${label} within ${this.#timeoutMs} ms`);
      case "error":
        return failure(`${label}: ${describe(exchange.error)}`);
    }
  }
}

function failure(reason: string): DnsAnswer {
  return { kind: "temporary-failure", reason };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
