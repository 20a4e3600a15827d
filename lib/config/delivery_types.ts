/**
 * The configuration of the outbound side: `[delivery]` (per-domain policies, circuit breaker,
 * client timeouts, MTA-STS, TLS reporting) and `[[routes]]`. Plain data, part of `Config` (types.ts).
 *
 * @module
 */

/** TLS towards a remote server: try STARTTLS, insist on it, or never use it. */
export type DeliveryTls = "opportunistic" | "required" | "disabled";

/** How mail to one destination domain is sent: `[delivery.defaults]`. */
export interface DomainPolicy {
  /** Messages per second (steady rate of the token bucket), above 0. */
  rate: number;
  /** Messages that may be sent at once above the steady rate (bucket size), at least 1. */
  burst: number;
  /** STARTTLS use. */
  tls: DeliveryTls;
  /** Check the server's certificate chain and name; otherwise any certificate is accepted. */
  verifyCertificates: boolean;
  /** Concurrent connections to one MX host. */
  maxConnectionsPerHost: number;
}

/** `[delivery.domains."example.org"]`: the settings that differ from `[delivery.defaults]`. */
export type DomainPolicyOverride = Partial<DomainPolicy>;

/** `[delivery.circuit_breaker]`: stop trying a host that keeps failing. */
export interface CircuitBreakerConfig {
  /** Consecutive failures within `window` that open the circuit. */
  threshold: number;
  /** The period the failures are counted over, in milliseconds. */
  window: number;
  /** How long an open circuit refuses attempts before one trial, in milliseconds. */
  openFor: number;
}

/** `[delivery.timeouts]`: the SMTP client's limits (RFC 5321 §4.5.3.2), in milliseconds. */
export interface DeliveryTimeoutsConfig {
  /** Opening the TCP connection. */
  connect: number;
  /** Waiting for the `220` greeting (§4.5.3.2.1). */
  greeting: number;
  /** Waiting for the reply to EHLO, MAIL, RCPT and other commands (§4.5.3.2.2-3). */
  command: number;
  /** Sending one block of message data (§4.5.3.2.5). */
  dataBlock: number;
  /** Waiting for the reply after the final `.` (§4.5.3.2.6). */
  dataEnd: number;
}

/** `[delivery.mta_sts]`: MTA-STS (RFC 8461) for deliveries to MX hosts. */
export interface MtaStsConfig {
  /** Look up, cache and apply recipient domains' MTA-STS policies. */
  enabled: boolean;
  /** PEM CA certificates trusted in addition to the default roots, for policy hosts and MX hosts under a policy. */
  caFile?: string;
  /** An HTTP proxy URL (`http://host:port`) the policy fetches tunnel through with CONNECT. */
  proxy?: string;
  /** Most domains whose policies are kept in memory. */
  cacheSize: number;
}

/** `[delivery.tls_rpt]`: SMTP TLS Reporting (RFC 8460) for deliveries to MX hosts. */
export interface TlsRptConfig {
  /** Record outbound TLS sessions and send reports to the recipient domains that ask for them. */
  enabled: boolean;
  /** The reporting period, in milliseconds (a day; periods are aligned to UTC midnight). */
  interval: number;
  /** `organization-name` of the reports; absent: the top-level `hostname`. */
  organization?: string;
  /** `contact-info` and the `From:` of report emails; absent: `postmaster@<hostname>`. */
  contact?: string;
  /** PEM CA certificates trusted in addition to the default roots, for `https:` destinations. */
  caFile?: string;
}

/** `[delivery]`: the outbound side. */
export interface DeliveryConfig {
  /** Run delivery workers; when false, mail is queued and kept. */
  enabled: boolean;
  /** Most deliveries in progress at once. */
  concurrency: number;
  /**
   * Connect to MX hosts that resolve to loopback, private or link-local addresses. Hosts named by
   * a route are always allowed.
   */
  allowPrivateDestinations: boolean;
  /** TCP port for MX deliveries (`port`, default 25); routes name their own port. */
  port: number;
  /** The name sent in EHLO/HELO; absent: the top-level `hostname`. Lowercase. */
  heloName?: string;
  /** How long a worker holds a message before another worker may take it, in milliseconds. */
  leaseTime: number;
  /** The policy for every destination domain. */
  defaults: DomainPolicy;
  /** Changes to `defaults` per destination domain; keys are lowercase domain names. */
  domains: Record<string, DomainPolicyOverride>;
  /** Per-host circuit breaker. */
  circuitBreaker: CircuitBreakerConfig;
  /** SMTP client timeouts. */
  timeouts: DeliveryTimeoutsConfig;
  /** MTA-STS policies of recipient domains. */
  mtaSts: MtaStsConfig;
  /** SMTP TLS reports to recipient domains. */
  tlsRpt: TlsRptConfig;
}

/** Credentials for SMTP AUTH at a smarthost. `password` is a secret: see `redactConfig()`. */
export interface RouteAuthConfig {
  /** The user name. */
  username: string;
  /** The password, in clear. */
  password: string;
}

/** A `[[routes]]` entry with `kind = "smtp"`: relay to a fixed host (a smarthost). */
export interface SmtpRouteConfig {
  /** Lowercase recipient domains, or `"*"` for every domain no other route names. */
  domains: string[];
  /** The route kind: relay to `to` over SMTP. */
  kind: "smtp";
  /** `"host:port"` or `"[ipv6]:port"`; the port (default 25) is always written out. */
  to: string;
  /** STARTTLS use. */
  tls: DeliveryTls;
  /** Check the server's certificate chain and name. */
  verifyCertificates: boolean;
  /** SMTP AUTH credentials; absent: no AUTH. */
  auth?: RouteAuthConfig;
}

/** A `[[routes]]` entry with `kind = "lmtp"`: hand over to an LMTP server (RFC 2033). */
export interface LmtpRouteConfig {
  /** Lowercase recipient domains, or `"*"`. */
  domains: string[];
  /** The route kind: hand over to `to` over LMTP. */
  kind: "lmtp";
  /** `"host:port"`, `"[ipv6]:port"`, or `"unix:/path/to/socket"`. */
  to: string;
}

/** A `[[routes]]` entry with `kind = "maildir"`: write to local Maildirs. */
export interface MaildirRouteConfig {
  /** Lowercase recipient domains, or `"*"`. */
  domains: string[];
  /** The route kind: write under `path`. */
  kind: "maildir";
  /** The directory; a message for `user@domain` goes to `<path>/user/{tmp,new,cur}`. */
  path: string;
}

/** One `[[routes]]` entry: where mail for some domains goes instead of their MX hosts. */
export type RouteConfig = SmtpRouteConfig | LmtpRouteConfig | MaildirRouteConfig;

/** The kinds of route. */
export type RouteKind = RouteConfig["kind"];
