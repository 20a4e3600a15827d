import type { DeliveryConfig, RouteConfig } from "./delivery_types.ts";

/** Log levels, lowest first. */
export type LogLevel = "trace" | "debug" | "info" | "warning" | "error" | "fatal";

/** Log output formats: JSON Lines, or readable text. */
export type LogFormat = "json" | "text";

/** Whether a listener offers SMTP AUTH, and whether it demands it before MAIL. */
export type ListenerAuth = "disabled" | "optional" | "required";

/** One `[[listen]]` entry: a TCP socket accepting SMTP. */
export interface ListenerConfig {
  /** `"host:port"` or `"[ipv6]:port"`, port 0 to 65535. */
  address: string;
  /** A unique name for logs and metrics; defaults to the address. */
  name: string;
  /** Offer STARTTLS (only when `[tls]` is configured). */
  starttls: boolean;
  /** SMTP AUTH on this listener. */
  auth: ListenerAuth;
  /** Offer DSN (RFC 3461): NOTIFY, ORCPT, RET and ENVID are accepted and honoured. */
  dsn: boolean;
}

/** `[tls]`: the certificate and key offered for STARTTLS. */
export interface TlsConfig {
  /** Path of the PEM certificate chain. */
  cert: string;
  /** Path of the PEM private key. */
  key: string;
}

/** `[policy]`: whom mail is accepted from and for. */
export interface PolicyConfig {
  /** Domains delivered locally; mail for them is accepted from anyone. Lowercase. */
  localDomains: string[];
  /** Domains accepted from anyone and relayed onwards. Lowercase. */
  relayDomains: string[];
  /** CIDR networks that may relay to any domain. */
  trustedNetworks: string[];
  /** Largest message accepted, in bytes (advertised with SIZE). */
  maxMessageSize: number;
  /** Most recipients in one transaction. */
  maxRecipients: number;
}

/** `[limits.timeouts]`, all in milliseconds. */
export interface TimeoutsConfig {
  /** Waiting for the next command (RFC 5321 §4.5.3.2.7). */
  command: number;
  /** Idle while receiving DATA/BDAT (RFC 5321 §4.5.3.2.5-6). */
  data: number;
  /** The whole DATA/BDAT phase. */
  dataTotal: number;
  /** The TLS handshake after STARTTLS. */
  tlsHandshake: number;
  /** A connection's whole lifetime. */
  session: number;
}

/** `[limits]`: bounds on connections and sessions. */
export interface LimitsConfig {
  /** Concurrent connections over all listeners. */
  maxConnections: number;
  /** Concurrent connections from one IP address. */
  maxConnectionsPerIp: number;
  /** Bad commands in a session before `421` and disconnect. */
  maxErrors: number;
  /** Commands in a session before `421` and disconnect. */
  maxCommands: number;
  /** Longest text line in DATA, in octets including CRLF (at least 1000). */
  maxLineLength: number;
  /** Longest command line, in octets including CRLF (at least 512). */
  maxCommandLength: number;
  /** Timeouts, in milliseconds. */
  timeouts: TimeoutsConfig;
}

/** One `[[auth.users]]` entry. */
export interface AuthUserConfig {
  /** The SMTP AUTH user name. */
  username: string;
  /** An scrypt hash from `empath config hash-password`. */
  passwordHash: string;
}

/** `[auth]`: SMTP AUTH accounts. */
export interface AuthConfig {
  /** The accounts; user names are unique. */
  users: AuthUserConfig[];
}

/** `[queue]`: the spool and retry schedule. */
export interface QueueConfig {
  /** Path of the Deno KV database file. */
  path: string;
  /** How long a message is retried before it bounces, in milliseconds. */
  maxAge: number;
  /** Delays between delivery attempts in milliseconds; the last repeats. */
  retry: number[];
  /**
   * How long a message waits before its sender gets one "delayed" DSN (RFC 3464) listing the
   * recipients still deferred, in milliseconds; `0` sends none (Postfix `delay_warning_time`).
   */
  delayWarning: number;
}

/** `[observe]`: logging (tracing and metrics come later). */
export interface ObserveConfig {
  /** `[observe.log]`. */
  log: { level: LogLevel; format: LogFormat };
  /** `[observe.audit]`. */
  audit: AuditConfig;
  /**
   * `[observe.tracing]`: what spans may record. Whether spans are exported at all is decided
   * by Deno's OpenTelemetry environment variables (`OTEL_DENO=true`), not here.
   */
  tracing: {
    /** Put envelope addresses (sender, recipients) in span attributes and events. */
    includeAddresses: boolean;
  };
  /** `[observe.metrics]`: the Prometheus metrics served at the control API's `/metrics`. */
  metrics: {
    /** Most distinct `domain` label values; later domains are labelled `"other"`. */
    maxDomains: number;
  };
}

/** An audit trail field whose values can be redacted. */
export type AuditField = "sender" | "recipients" | "client_ip" | "auth_user" | "helo";

/** `[observe.audit]`: the audit trail, apart from the logs. */
export interface AuditConfig {
  /** Write the audit trail. */
  enabled: boolean;
  /** `"stdout"`, or `"file"` to append JSON Lines to `path`. */
  sink: "stdout" | "file";
  /** The audit file (created with mode 0600 if absent), for `sink = "file"`. */
  path: string;
  /** Fields written as `[REDACTED]` (addresses keep their domain). */
  redact: AuditField[];
}

/** `[dns]`: how MX, A and AAAA records are looked up for delivery. Durations in milliseconds. */
export interface DnsConfig {
  /**
   * The resolver to ask, as `"ip:port"` or `"[ipv6]:port"` (the port defaults to 53 and is always
   * written out). Absent: the `nameserver` lines of /etc/resolv.conf.
   */
  nameServer?: string;
  /** Longest time a positive answer is cached (a shorter record TTL wins). */
  cacheTtl: number;
  /** How long NXDOMAIN and no-data answers are cached. */
  negativeTtl: number;
  /** How long to wait for one answer from a name server (each is asked twice). */
  timeout: number;
}

/**
 * What a control API token may do: `read` may only GET, `inject` may only
 * `POST /v1/messages` (an application that submits mail), `admin` may do everything.
 */
export type ControlScope = "read" | "inject" | "admin";

/** One `[[control.tokens]]` entry: a bearer token, stored as its SHA-256 hash. */
export interface ControlTokenConfig {
  /** A unique name, for logs and audit. */
  name: string;
  /** SHA-256 of the token, 64 lowercase hexadecimal digits. */
  hash: string;
  /** What the token may do. */
  scope: ControlScope;
}

/** `[control]`: the HTTP control API. */
export interface ControlConfig {
  /** `"host:port"` or `"[ipv6]:port"` the API listens on. */
  listen: string;
  /**
   * Where the daemon keeps a generated admin token (mode 0600), used only when `tokens` is empty.
   */
  tokenFile: string;
  /** Accepted tokens; empty: the one in `tokenFile`. */
  tokens: ControlTokenConfig[];
  /** Largest request body, in bytes. */
  maxBody: number;
}

/** The key types a DKIM signing key may have (RFC 6376 rsa-sha256, RFC 8463 ed25519-sha256). */
export type DkimAlgorithm = "rsa" | "ed25519";

/** One `[[dkim]]` entry: a signing key for a domain. */
export interface DkimConfig {
  /** The signing domain (`d=`), lowercase; mail whose `From:` domain is this one is signed. */
  domain: string;
  /** The selector (`s=`), lowercase: the key is published at `<selector>._domainkey.<domain>`. */
  selector: string;
  /** Path of the PEM private key (PKCS#8 or PKCS#1), read at start and on every reload. */
  key: string;
  /** The key type, checked against the key; absent: taken from the key. */
  algorithm?: DkimAlgorithm;
  /** Header fields to sign, every instance present; includes `From`. */
  headers: string[];
  /** Header fields signed once more than present, so one added later breaks the signature. */
  oversign: string[];
  /** Also sign mail from subdomains of `domain` (still with `d=` the domain itself). */
  subdomains: boolean;
}

/** One `[[hooks]]` entry: a policy hook module (see docs/HOOKS.md). */
export interface HookConfig {
  /** Path of the module, relative to the working directory (like every path in the file). */
  path: string;
  /** Time budget of one call, in milliseconds (`timeout`, else `[hooks_settings] timeout`). */
  timeout: number;
  /** Run `onQueued` and `onDeliveryResult` from the durable work list, after the reply. */
  afterQueue: boolean;
}

/** `[hooks_settings]`: defaults of every hook and the after-queue work list. */
export interface HooksSettingsConfig {
  /** Default time budget of one hook call, in milliseconds. */
  timeout: number;
  /** Delays between tries of an after-queue hook that failed, in milliseconds; the last repeats. */
  retry: number[];
  /** Tries of an after-queue hook before it is given up (with an error log). */
  maxAttempts: number;
}

/** `[priority]`: what priority (0–9, higher is delivered first) a message gets. */
export interface PriorityConfig {
  /** The priority of a message nobody gave one. */
  default: number;
  /** The header field a submitter may set the priority with; `""` ignores headers. */
  header: string;
  /** The header's first word, lowercased, → priority. */
  values: Record<string, number>;
}

/** The validated configuration, with every default applied. Plain data. */
export interface Config {
  /** The name used in the greeting, EHLO and Received headers. */
  hostname: string;
  /**
   * On SIGTERM or SIGINT, how long open SMTP transactions and deliveries in progress may take to
   * finish before they are cut off, in milliseconds (0: at once).
   */
  shutdownGrace: number;
  /** The SMTP listeners. */
  listen: ListenerConfig[];
  /** STARTTLS certificate; without it no listener offers STARTTLS. */
  tls?: TlsConfig;
  /** Acceptance and relay policy. */
  policy: PolicyConfig;
  /** Connection and session limits. */
  limits: LimitsConfig;
  /** SMTP AUTH accounts. */
  auth: AuthConfig;
  /** `[priority]`: message priorities (0–9, higher first). */
  priority: PriorityConfig;
  /** The queue. */
  queue: QueueConfig;
  /** Logging. */
  observe: ObserveConfig;
  /** DNS resolution for delivery. */
  dns: DnsConfig;
  /** Outbound delivery. */
  delivery: DeliveryConfig;
  /**
   * Fixed routes by recipient domain, checked before MX lookup; each domain (and `"*"`) appears
   * in one route at most.
   */
  routes: RouteConfig[];
  /** The HTTP control API. */
  control: ControlConfig;
  /** DKIM signing keys for submitted mail; empty: nothing is signed. */
  dkim: DkimConfig[];
  /** Policy hook modules, in the order they run; empty: none. */
  hooks: HookConfig[];
  /** Hook defaults and the after-queue work list. */
  hooksSettings: HooksSettingsConfig;
}
