import { anyCidrContains, type Cidr, parseCidr } from "../config/mod.ts";
import type { Path, Reply } from "../smtp/mod.ts";

/** Relay rules, as plain data taken from `[policy]` in the configuration. */
export interface RelayRules {
  /** Domains whose mail is accepted from anyone and delivered locally. */
  readonly localDomains: readonly string[];
  /** Domains whose mail is accepted from anyone and relayed onwards. */
  readonly relayDomains: readonly string[];
  /** CIDR blocks whose clients may relay to any domain. */
  readonly trustedNetworks: readonly string[];
}

/** Who is asking to relay: the client address and its authenticated user, if any. */
export interface RelayClient {
  readonly ip: string;
  readonly authenticatedUser?: string;
}

/**
 * Decides whether a recipient is accepted: the no-open-relay rule of an MTA.
 *
 * Mail for a local or relay domain is accepted from anyone; mail for any other
 * domain only from a trusted network or an authenticated user (RFC 5321 §3.6.2,
 * "relay" must be explicitly authorised). Everything else gets `554 5.7.1`.
 *
 * @example
 * ```ts
 * const policy = new RelayPolicy({ localDomains: ["example.test"], relayDomains: [], trustedNetworks: [] });
 * policy.isLocalDomain("Example.TEST"); // true
 * ```
 */
export class RelayPolicy {
  readonly #domains: ReadonlySet<string>;
  readonly #local: ReadonlySet<string>;
  readonly #trusted: readonly Cidr[];

  constructor(rules: RelayRules) {
    this.#local = new Set(rules.localDomains.map((d) => d.toLowerCase()));
    this.#domains = new Set([...this.#local, ...rules.relayDomains.map((d) => d.toLowerCase())]);
    this.#trusted = rules.trustedNetworks.map((cidr) => parseCidr(cidr));
  }

  /** Whether `domain` is one this server delivers locally. */
  isLocalDomain(domain: string): boolean {
    return this.#local.has(domain.toLowerCase());
  }

  /** Whether `ip` lies in one of the trusted networks. */
  isTrusted(ip: string): boolean {
    return anyCidrContains(this.#trusted, ip);
  }

  /**
   * Whether `client` submits mail rather than relays it in: it authenticated or
   * it is in a trusted network. Such a client may relay to any domain, and its
   * mail is DKIM-signed.
   */
  isSubmitter(client: RelayClient): boolean {
    return client.authenticatedUser !== undefined || this.isTrusted(client.ip);
  }

  /**
   * The reply to a RCPT for `path` from `client`: `250 2.1.5` when accepted,
   * `554 5.7.1 Relay access denied` otherwise.
   */
  checkRecipient(path: Path, client: RelayClient): Reply {
    if (path.kind !== "mailbox") {
      return { code: 501, enhanced: "5.1.3", lines: ["Bad recipient address syntax"] };
    }
    const mayRelay = this.isSubmitter(client);
    // RFC 5321 §4.5.1: "Postmaster" without a domain is always accepted.
    if (path.domain === "" || this.#domains.has(path.domain.toLowerCase()) || mayRelay) {
      return { code: 250, enhanced: "2.1.5", lines: [`<${path.address}>: Recipient ok`] };
    }
    return {
      code: 554,
      enhanced: "5.7.1",
      lines: [`<${path.address}>: Relay access denied`],
    };
  }
}
