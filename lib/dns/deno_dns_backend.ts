import type { NameServer } from "./name_server.ts";
import type { DnsAnswer, DnsBackend, DnsRecord, DnsRecordType } from "./types.ts";

/** Options of {@linkcode DenoDnsBackend}. */
export interface DenoDnsBackendOptions {
  /**
   * The name server to ask; the system's resolver configuration when absent.
   * @default {undefined}
   */
  readonly nameServer?: NameServer;
  /**
   * How long one query may take before it is a temporary failure.
   * @default {5_000}
   */
  readonly timeoutMs?: number;
}

/** One `Deno.resolveDns()` call; a TXT record's character-strings are joined. */
async function resolve(
  name: string,
  type: DnsRecordType,
  options: Deno.ResolveDnsOptions,
): Promise<DnsRecord[]> {
  switch (type) {
    case "MX":
      return await Deno.resolveDns(name, "MX", options);
    case "TXT":
      return (await Deno.resolveDns(name, "TXT", options)).map((strings) => strings.join(""));
    case "A":
    case "AAAA":
      return await Deno.resolveDns(name, type, options);
  }
}

/**
 * A {@linkcode DnsBackend} over `Deno.resolveDns()` (UDP with TCP fallback).
 *
 * How Deno 2.9.6 reports outcomes, and what they become here:
 * - records → `records`;
 * - NXDOMAIN, NODATA, and also SERVFAIL, REFUSED, NOTIMP and FORMERR →
 *   `Deno.errors.NotFound` ("no records found for Query …"), indistinguishable
 *   → `no-records` (this backend never answers `nxdomain`);
 * - no reply → `Deno.errors.TimedOut` after about 15 s, so this backend aborts
 *   at `timeoutMs` instead → `temporary-failure`;
 * - other errors (network, malformed name) → `temporary-failure`;
 * - an unreachable UDP port (ICMP port unreachable) is not reported: the query
 *   runs until the timeout; names under `.invalid` never leave the process
 *   (Deno answers `NotFound` itself, RFC 6761).
 *
 * Names are sent fully qualified (with a trailing dot) so the system's search
 * domains never apply.
 *
 * @example Usage
 * ```ts ignore
 * import { DenoDnsBackend } from "./deno_dns_backend.ts";
 *
 * const backend = new DenoDnsBackend({ nameServer: { ipAddr: "127.0.0.1", port: 5353 } });
 * const answer = await backend.query("example.org", "MX");
 * if (answer.kind === "records") console.log(answer.records);
 * ```
 */
export class DenoDnsBackend implements DnsBackend {
  readonly #nameServer?: NameServer;
  readonly #timeoutMs: number;

  /**
   * @param options Name server and timeout.
   * @throws {RangeError} If `timeoutMs` is not a positive number.
   */
  constructor(options: DenoDnsBackendOptions = {}) {
    const timeoutMs = options.timeoutMs ?? 5_000;
    if (!(timeoutMs > 0)) {
      throw new RangeError(`Cannot use DNS timeout "${timeoutMs}": expected a positive number`);
    }
    this.#nameServer = options.nameServer;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Asks the name server once.
   *
   * @param name A normalized name (no trailing dot).
   * @param type The record type.
   * @param signal Cancels the query.
   * @returns The answer; never rejects except with `signal.reason` on abort.
   */
  async query(name: string, type: DnsRecordType, signal?: AbortSignal): Promise<DnsAnswer> {
    signal?.throwIfAborted();
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), this.#timeoutMs);
    const options = {
      nameServer: this.#nameServer,
      signal: signal === undefined ? timeout.signal : AbortSignal.any([signal, timeout.signal]),
    };
    try {
      const records = await resolve(`${name}.`, type, options);
      return records.length === 0 ? { kind: "no-records" } : { kind: "records", records };
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      return this.#classify(error, name, type, timeout.signal.aborted);
    } finally {
      clearTimeout(timer);
    }
  }

  #classify(error: unknown, name: string, type: DnsRecordType, timedOut: boolean): DnsAnswer {
    const question = `${type} "${name}"`;
    if (timedOut) {
      return {
        kind: "temporary-failure",
        reason: `DNS query ${question} timed out after ${this.#timeoutMs} ms`,
      };
    }
    if (error instanceof Deno.errors.NotFound) return { kind: "no-records" };
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { kind: "temporary-failure", reason: `DNS query ${question} failed: ${detail}` };
  }
}
