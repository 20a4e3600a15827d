/**
 * Types of the SMTP/LMTP client state machine ({@link ClientSession}):
 * its options, the actions it asks its driver to perform and its results.
 *
 * @module
 */
import type { DsnRet, RcptParams } from "./params.ts";
import type { Reply } from "./reply.ts";

/**
 * When to use STARTTLS (RFC 3207): `opportunistic` when offered,
 * `required` (no STARTTLS offered → `tls-unavailable`), or `disabled`.
 */
export type TlsPolicy = "opportunistic" | "required" | "disabled";

/** Credentials for AUTH PLAIN or LOGIN (RFC 4954), used only over TLS. */
export interface ClientCredentials {
  /** The authentication identity. */
  readonly username: string;
  /** The password. */
  readonly password: string;
}

/** The TLS parameters negotiated by STARTTLS, as reported by the driver. */
export interface ClientTlsInfo {
  /** The protocol version, such as `"TLSv1.3"`. */
  readonly version: string;
  /** The cipher suite name. */
  readonly cipher: string;
  /**
   * Whether the server's certificate chain and name verified, checked even
   * when the policy accepts any certificate (MTA-STS `testing` reports it).
   */
  readonly verified?: boolean;
  /** Why the certificate did not verify, when it did not. */
  readonly verifyError?: string;
}

/** Options of {@link ClientSession}. */
export interface ClientSessionOptions {
  /** The name sent with EHLO/HELO/LHLO. */
  readonly heloName: string;
  /** The STARTTLS policy. @default {"opportunistic"} */
  readonly tls?: TlsPolicy;
  /** Whether to speak LMTP (RFC 2033) instead of SMTP. @default {false} */
  readonly lmtp?: boolean;
  /** Credentials to authenticate with after STARTTLS; none by default. */
  readonly auth?: ClientCredentials;
}

/** One message to send in one transaction on an established session. */
export interface TransactionRequest {
  /** The reverse-path address, without angle brackets; `""` for the null path. */
  readonly reversePath: string;
  /** Forward-path addresses, without angle brackets; at least one. */
  readonly recipients: readonly string[];
  /** The message size in octets (for SIZE, RFC 1870). */
  readonly size: number;
  /** Whether the envelope or the headers contain UTF-8 (RFC 6531). */
  readonly needsSmtputf8: boolean;
  /** Whether the body contains octets above 127 (RFC 6152). */
  readonly eightBit: boolean;
  /** DSN parameters (RFC 3461) to pass on when the server offers DSN; none by default. */
  readonly dsn?: TransactionDsn;
}

/** The DSN parameters of a transaction (RFC 3461 §4), sent only to a server offering DSN. */
export interface TransactionDsn {
  /** MAIL RET=. */
  readonly ret?: DsnRet;
  /** MAIL ENVID=, decoded (it is sent xtext-encoded). */
  readonly envid?: string;
  /** RCPT NOTIFY= and ORCPT= of each recipient, in request order. */
  readonly recipients?: readonly RcptParams[];
}

/** The outcome for one recipient: the reply that decided it. */
export interface RecipientReply {
  /** The forward-path address as given in the request. */
  readonly address: string;
  /**
   * The RCPT reply when refused, else the reply to the end of data (LMTP: the
   * recipient's own). Replies the client made up itself (SIZE exceeded,
   * SMTPUTF8 not offered) carry the reason in their text.
   */
  readonly reply: Reply;
}

/** A transaction that reached the server: a reply for every recipient. */
export interface TransactionResult {
  /** Discriminant. */
  readonly kind: "transaction";
  /** One entry per requested recipient, in request order. */
  readonly recipients: readonly RecipientReply[];
  /** The TLS parameters, when the session used STARTTLS. */
  readonly tls?: ClientTlsInfo;
  /** True when the server offered DSN, so the request's DSN parameters went with MAIL and RCPT. */
  readonly dsn?: boolean;
}

/** Why a session (not a single recipient) failed. */
export type SessionFailureKind =
  | "connection-failed"
  | "try-next-host"
  | "tls-unavailable"
  | "protocol-error";

/** A failure of the whole session; the connection is closed afterwards. */
export interface SessionFailure {
  /** Discriminant. */
  readonly kind: SessionFailureKind;
  /** The server's reply that caused it, if any. */
  readonly reply?: Reply;
  /** A description for logs and DSNs. */
  readonly reason: string;
}

/** What a delivery attempt on one session produced. */
export type ClientResult = TransactionResult | SessionFailure;

/** Which reply the session waits for, so the driver picks the timeout (RFC 5321 §4.5.3.2). */
export type ReplyWait = "greeting" | "command" | "mail" | "rcpt" | "data-init" | "data-end";

/** What the driver must do next, from {@link ClientSession.nextAction}. */
export type ClientAction =
  /** Write these bytes. */
  | { readonly type: "send"; readonly bytes: Uint8Array }
  /** Read reply bytes and pass them to `receive()`. */
  | { readonly type: "need-data"; readonly wait: ReplyWait }
  /** Run the TLS handshake, then call `tlsEstablished()` or `tlsFailed()`. */
  | { readonly type: "start-tls" }
  /** Stream the body through a `DotStuffer` (end marker included), then call `bodySent()`. */
  | { readonly type: "send-body" }
  /** The current attempt ended with this result. */
  | { readonly type: "done"; readonly result: ClientResult }
  /** The session is ready for `deliver()`, `reset()` or `quit()`. */
  | { readonly type: "idle" }
  /** The session is over; close the connection. */
  | { readonly type: "closed" };

/** The ESMTP extensions a server announced in its EHLO/LHLO reply. */
export interface ServerCapabilities {
  /** PIPELINING (RFC 2920). */
  readonly pipelining: boolean;
  /** SIZE (RFC 1870): the limit in octets, `0` for none; absent when not offered. */
  readonly size?: number;
  /** 8BITMIME (RFC 6152). */
  readonly eightBitMime: boolean;
  /** SMTPUTF8 (RFC 6531). */
  readonly smtputf8: boolean;
  /** STARTTLS (RFC 3207). */
  readonly starttls: boolean;
  /** CHUNKING (RFC 3030). */
  readonly chunking: boolean;
  /** ENHANCEDSTATUSCODES (RFC 2034). */
  readonly enhancedStatusCodes: boolean;
  /** AUTH mechanisms (RFC 4954), upper-cased. */
  readonly auth: readonly string[];
  /** DSN (RFC 3461). */
  readonly dsn: boolean;
}
