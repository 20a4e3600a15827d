/** One mail exchanger of a domain (RFC 5321 §5.1), as delivery uses it. */
export interface MxHost {
  /** Host name of the exchanger: lowercase, without the trailing dot. */
  readonly exchange: string;
  /** MX preference; lower is tried first. */
  readonly preference: number;
}

/**
 * Where mail for a domain goes, or why it cannot go anywhere. Expected outcomes
 * are data: only cancellation through an `AbortSignal` rejects.
 *
 * - `mx`: the domain's MX hosts, ordered by preference, shuffled among equal
 *   preferences (RFC 5321 §5.1).
 * - `implicit`: no MX records but the domain has A/AAAA records, so the domain
 *   itself is the only exchanger, with preference 0 (RFC 5321 §5.1).
 * - `null-mx`: the domain publishes a null MX, it accepts no mail (RFC 7505):
 *   fail permanently.
 * - `nxdomain`: the domain does not exist, or has no MX and no A/AAAA: fail
 *   permanently.
 * - `temporary-failure`: timeout, server failure, network error: defer.
 */
export type MxResult =
  | { readonly kind: "mx"; readonly hosts: MxHost[] }
  | { readonly kind: "implicit"; readonly hosts: MxHost[] }
  | { readonly kind: "null-mx" }
  | { readonly kind: "nxdomain" }
  | { readonly kind: "temporary-failure"; readonly reason: string };

/**
 * The addresses of a host: IPv4 addresses first, then IPv6, each in the order
 * the name server gave; `nxdomain` when the host has neither A nor AAAA records.
 */
export type AddressResult =
  | { readonly kind: "addresses"; readonly addresses: string[] }
  | { readonly kind: "nxdomain" }
  | { readonly kind: "temporary-failure"; readonly reason: string };

/**
 * The TXT records of a name, each record's character-strings joined without
 * separator (RFC 1035 §3.3.14; RFC 7208 §3.3 joins SPF strings the same way).
 *
 * - `txt`: at least one record, in the order the name server gave.
 * - `none`: the name does not exist or has no TXT records (the backend may not
 *   tell these apart).
 * - `temporary-failure`: timeout, server failure, network error.
 */
export type TxtResult =
  | { readonly kind: "txt"; readonly texts: string[] }
  | { readonly kind: "none" }
  | { readonly kind: "temporary-failure"; readonly reason: string };

/** Options of one lookup. */
export interface ResolveOptions {
  /** Cancels the lookup; the returned promise then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** The port delivery uses to find where mail goes. */
export interface DnsResolver {
  /**
   * The mail exchangers of `domain` (RFC 5321 §5.1, RFC 7505).
   *
   * @param domain A domain name, any case, with or without a trailing dot.
   * @param options Cancellation.
   */
  resolveMx(domain: string, options?: ResolveOptions): Promise<MxResult>;
  /**
   * The IPv4 and IPv6 addresses of `host`. An IP literal resolves to itself.
   *
   * @param host A host name, any case, with or without a trailing dot.
   * @param options Cancellation.
   */
  resolveAddresses(host: string, options?: ResolveOptions): Promise<AddressResult>;
}

/** The port MTA-STS discovery (RFC 8461 §3.1) uses to read TXT records. */
export interface TxtResolver {
  /**
   * The TXT records of `name`.
   *
   * @param name A name, any case, with or without a trailing dot; underscores allowed.
   * @param options Cancellation.
   */
  resolveTxt(name: string, options?: ResolveOptions): Promise<TxtResult>;
}

/** The record types Empath asks for. */
export type DnsRecordType = "MX" | "A" | "AAAA" | "TXT";

/**
 * One record of an answer: an MX record, an address for A and AAAA, or the
 * joined text of one TXT record.
 */
export type DnsRecord = MxHost | string;

/**
 * The answer to one question, as a {@linkcode DnsBackend} reports it.
 *
 * - `records`: at least one record. MX exchanges may still carry the trailing
 *   dot and any case; the resolver normalizes them. `ttlMs`, when the backend
 *   knows it, is the shortest TTL of the records (and of the CNAMEs leading to
 *   them): the cache keeps the answer no longer.
 * - `nxdomain`: the name does not exist (RCODE 3). Only backends that can tell
 *   this apart from `no-records` return it.
 * - `no-records`: no records of this type (NODATA), or the backend cannot tell
 *   why there are none.
 * - `temporary-failure`: timeout, server failure, network error.
 */
export type DnsAnswer =
  | { readonly kind: "records"; readonly records: DnsRecord[]; readonly ttlMs?: number }
  | { readonly kind: "nxdomain" }
  | { readonly kind: "no-records" }
  | { readonly kind: "temporary-failure"; readonly reason: string };

/** The port to a DNS client: one question, one answer, never a rejection except on abort. */
export interface DnsBackend {
  /**
   * Asks for the records of one type.
   *
   * @param name A normalized name: lowercase, no trailing dot.
   * @param type The record type.
   * @param signal Cancels the query; the promise then rejects with the signal's reason.
   */
  query(name: string, type: DnsRecordType, signal?: AbortSignal): Promise<DnsAnswer>;
}

/** A cached answer, as the control API lists it. */
export interface DnsCacheEntry {
  /** The name asked for (normalized). */
  readonly name: string;
  /** The record type. */
  readonly type: DnsRecordType;
  /** The answer as the backend gave it. */
  readonly result: DnsAnswer;
  /** When the entry expires, in the clock's milliseconds. */
  readonly expiresAt: number;
}

/** Counters of a caching resolver since it was built. */
export interface DnsCacheStats {
  /** Questions answered from the cache or by joining a query already in flight. */
  readonly hits: number;
  /** Questions sent to the backend. */
  readonly misses: number;
  /** Backend answers that were temporary failures. */
  readonly errors: number;
  /** Entries now in the cache (including expired ones not yet removed). */
  readonly entries: number;
}
