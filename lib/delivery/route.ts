import { parseHostPort } from "../config/mod.ts";
import type { DnsResolver, MxHost } from "../dns/mod.ts";
import type { Reply, TlsPolicy } from "../smtp/mod.ts";
import { isPrivateOrLoopback } from "./private_address.ts";
import {
  type MtaStsPolicySource,
  type MtaStsReporter,
  type MtaStsRequirement,
  screenMxHosts,
} from "./mta_sts.ts";

const UNIX_PREFIX = "unix:";

/** One address to connect to, with the host name it stands for (SNI, certificate name). */
export interface NextHop {
  readonly name: string;
  /** An IP address; for a Unix socket, `unix:<path>` (a label for messages and per-host keys). */
  readonly address: string;
  /** The TCP port; 0 for a Unix socket. */
  readonly port: number;
  /** The Unix socket to connect to instead of `address` and `port` (LMTP `to = "unix:/path"`). */
  readonly path?: string;
}

/** A configured static route, as plain data. */
export type StaticRoute =
  | {
    readonly domains: readonly string[];
    readonly kind: "smtp";
    readonly to: string;
    readonly tls: TlsPolicy;
    readonly verifyCertificates: boolean;
    readonly auth?: { readonly username: string; readonly password: string };
  }
  | { readonly domains: readonly string[]; readonly kind: "lmtp"; readonly to: string }
  | { readonly domains: readonly string[]; readonly kind: "maildir"; readonly path: string };

/** Where a domain's mail goes, or why it cannot go anywhere now. */
export type Destination =
  | { readonly kind: "maildir"; readonly root: string }
  | {
    readonly kind: "smtp";
    readonly hops: readonly NextHop[];
    readonly lmtp: boolean;
    readonly route?: Extract<StaticRoute, { kind: "smtp" }>;
    /** The recipient domain's MTA-STS policy (RFC 8461), for MX deliveries under one. */
    readonly mtaSts?: MtaStsRequirement;
  }
  | { readonly kind: "failed"; readonly reply: Reply; readonly reason: string }
  | { readonly kind: "deferred"; readonly reason: string; readonly reply?: Reply };

/** Options of a {@link RouteResolver}. */
export interface RouteResolverOptions {
  readonly routes: readonly StaticRoute[];
  /** Allow MX hosts that resolve to loopback or private addresses. */
  readonly allowPrivateDestinations: boolean;
  /** Port of MX hosts and domain literals. @default {25} */
  readonly mxPort?: number;
  /** Apply MTA-STS policies to MX deliveries (needs the policies in the constructor). @default {false} */
  readonly mtaSts?: boolean;
}

/** Where a {@link RouteResolver} finds MTA-STS policies and reports their failures. */
export interface RouteMtaSts {
  readonly policies: MtaStsPolicySource;
  readonly report: MtaStsReporter;
}

/**
 * Decides where a recipient domain's mail goes: a configured route wins
 * (exact domain, then `*`); otherwise the domain's MX hosts (RFC 5321 §5.1),
 * the implicit MX when it has none, a permanent failure for a null MX
 * (RFC 7505) or a nonexistent domain. Domain literals (`[192.0.2.1]`) go to
 * that address. Next hops on loopback or private networks are refused unless
 * a route names them or they are explicitly allowed, so a hostile MX record
 * cannot make Empath relay into an internal network.
 *
 * MX deliveries (not routes, not domain literals) follow the domain's MTA-STS
 * policy when enabled (RFC 8461 §5): under `enforce` only MX hosts matching
 * its patterns are kept (none: deferred with `4.7.5`), and the destination
 * carries the requirement so the sender insists on verified TLS.
 *
 * @example
 * ```ts ignore
 * const routes = new RouteResolver(resolver, { routes: [], allowPrivateDestinations: false });
 * const destination = await routes.resolve("example.org");
 * ```
 */
export class RouteResolver {
  readonly #dns: DnsResolver;
  readonly #mtaSts: RouteMtaSts | undefined;
  #options: RouteResolverOptions;

  /**
   * @param dns MX and address lookups.
   * @param options Routes and MX settings (plain data, replaced on reload).
   * @param mtaSts MTA-STS policies, used while `options.mtaSts` is true.
   */
  constructor(dns: DnsResolver, options: RouteResolverOptions, mtaSts?: RouteMtaSts) {
    this.#dns = dns;
    this.#options = options;
    this.#mtaSts = mtaSts;
  }

  /** Replaces the routing options (configuration reload); lookups in progress finish with the old ones. */
  update(options: RouteResolverOptions): void {
    this.#options = options;
  }

  /** The configured route for `domain`, if any. */
  routeFor(domain: string): StaticRoute | undefined {
    const lower = domain.toLowerCase();
    return this.#options.routes.find((route) => route.domains.includes(lower)) ??
      this.#options.routes.find((route) => route.domains.includes("*"));
  }

  /** Resolves `domain` (a recipient's domain part) to a destination. */
  async resolve(domain: string, signal?: AbortSignal): Promise<Destination> {
    const route = this.routeFor(domain);
    if (route?.kind === "maildir") return { kind: "maildir", root: route.path };
    if (route !== undefined) return await this.#resolveRoute(route, signal);
    const literal = /^\[(?:IPv6:)?([^\]]+)\]$/i.exec(domain);
    const port = this.#options.mxPort ?? 25;
    if (literal) return this.#checked([{ name: literal[1], address: literal[1], port }], false);
    return await this.#resolveMx(domain, signal);
  }

  async #resolveRoute(
    route: Exclude<StaticRoute, { kind: "maildir" }>,
    signal?: AbortSignal,
  ): Promise<Destination> {
    if (route.kind === "lmtp" && route.to.startsWith(UNIX_PREFIX)) {
      const path = route.to.slice(UNIX_PREFIX.length);
      return {
        kind: "smtp",
        hops: [{ name: "localhost", address: route.to, port: 0, path }],
        lmtp: true,
      };
    }
    const { hostname: host, port } = parseHostPort(route.to, route.kind === "lmtp" ? 24 : 25);
    const hops = await this.#addresses({ exchange: host, preference: 0 }, port, signal);
    if (!Array.isArray(hops)) return hops;
    return {
      kind: "smtp",
      hops,
      lmtp: route.kind === "lmtp",
      route: route.kind === "smtp" ? route : undefined,
    };
  }

  async #resolveMx(domain: string, signal?: AbortSignal): Promise<Destination> {
    const mx = await this.#dns.resolveMx(domain, { signal });
    switch (mx.kind) {
      case "null-mx":
        return failed("5.1.10", `Domain ${domain} does not accept mail (null MX, RFC 7505)`);
      case "nxdomain":
        return failed("5.1.2", `Domain ${domain} does not exist or has no mail server`);
      case "temporary-failure":
        return { kind: "deferred", reason: `DNS lookup for ${domain} failed: ${mx.reason}` };
      case "mx":
      case "implicit":
        return await this.#underPolicy(domain, mx.hosts, signal);
    }
  }

  /** The MX hops, screened by the domain's MTA-STS policy when it has one (RFC 8461 §5). */
  async #underPolicy(domain: string, hosts: MxHost[], signal?: AbortSignal) {
    const sts = this.#options.mtaSts ? this.#mtaSts : undefined;
    const entry = await sts?.policies.policyFor(domain, signal);
    if (sts === undefined || entry === undefined || entry.policy.mode === "none") {
      return await this.#mxHops(domain, hosts, signal);
    }
    const screened = screenMxHosts(entry, hosts, sts.report);
    if (screened.kind === "deferred") return screened;
    const destination = await this.#mxHops(domain, screened.hosts, signal);
    if (destination.kind !== "smtp") return destination;
    return { ...destination, mtaSts: screened.requirement };
  }

  async #mxHops(domain: string, hosts: readonly MxHost[], signal?: AbortSignal) {
    const hops: NextHop[] = [];
    let lastProblem = "";
    for (const host of hosts) {
      const resolved = await this.#addresses(host, this.#options.mxPort ?? 25, signal);
      if (Array.isArray(resolved)) hops.push(...resolved);
      else lastProblem = resolved.reason;
    }
    if (hops.length === 0) {
      return {
        kind: "deferred" as const,
        reason: `No usable MX host for ${domain}: ${lastProblem}`,
      };
    }
    return this.#checked(hops, false);
  }

  async #addresses(
    host: MxHost,
    port: number,
    signal?: AbortSignal,
  ): Promise<NextHop[] | Extract<Destination, { kind: "deferred" }>> {
    if (isIpLiteral(host.exchange)) {
      return [{ name: host.exchange, address: host.exchange, port }];
    }
    const result = await this.#dns.resolveAddresses(host.exchange, { signal });
    if (result.kind !== "addresses") {
      const why = result.kind === "nxdomain" ? "no such host" : result.reason;
      return { kind: "deferred", reason: `Cannot resolve ${host.exchange}: ${why}` };
    }
    return result.addresses.map((address) => ({ name: host.exchange, address, port }));
  }

  #checked(hops: NextHop[], explicit: boolean): Destination {
    if (explicit || this.#options.allowPrivateDestinations) {
      return { kind: "smtp", hops, lmtp: false };
    }
    const allowed = hops.filter((hop) => !isPrivateOrLoopback(hop.address));
    if (allowed.length > 0) return { kind: "smtp", hops: allowed, lmtp: false };
    return {
      kind: "deferred",
      reason: `Refusing to deliver to private or loopback address ${hops[0].address} ` +
        `(set delivery.allow_private_destinations or configure a route)`,
    };
  }
}

function failed(enhanced: string, text: string): Destination {
  return { kind: "failed", reply: { code: 550, enhanced, lines: [text] }, reason: text };
}

function isIpLiteral(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(":");
}
