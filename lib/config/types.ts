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
}

/** `[observe]`: logging (tracing and metrics come later). */
export interface ObserveConfig {
  /** `[observe.log]`. */
  log: { level: LogLevel; format: LogFormat };
}

/** The validated configuration, with every default applied. Plain data. */
export interface Config {
  /** The name used in the greeting, EHLO and Received headers. */
  hostname: string;
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
  /** The queue. */
  queue: QueueConfig;
  /** Logging. */
  observe: ObserveConfig;
}
