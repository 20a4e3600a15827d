/**
 * The public types of the server session: its options, events and phases.
 *
 * @module
 */
import type { Path } from "./address.ts";
import type { MailParams, RcptParams } from "./params.ts";
import type { Reply } from "./reply.ts";

/** Options of `ServerSession`. */
export interface SessionOptions {
  /** The server's name, used in the greeting and the EHLO reply. */
  hostname: string;
  /** The SIZE advertised and enforced, in octets; 0 means unlimited. @default {35000000} */
  maxMessageSize?: number;
  /** Recipients per transaction (RFC 5321 §4.5.3.1.8 asks for at least 100). @default {100} */
  maxRecipients?: number;
  /** A text line in DATA, in octets including CRLF. @default {1000} */
  maxLineLength?: number;
  /** A command line, in octets including CRLF. @default {512} */
  maxCommandLength?: number;
  /** Bad commands before `421 4.7.0` and close. @default {10} */
  maxErrors?: number;
  /** Commands per session before `421 4.7.0` and close. @default {1000} */
  maxCommands?: number;
  /** Whether to offer STARTTLS (only while not under TLS). @default {false} */
  starttls?: boolean;
  /** Whether the session is already under TLS (implicit TLS). @default {false} */
  tls?: boolean;
  /**
   * AUTH PLAIN LOGIN is advertised only under TLS and when not "disabled";
   * "required" answers MAIL without prior AUTH with `530 5.7.0`.
   * @default {"disabled"}
   */
  auth?: "disabled" | "optional" | "required";
  /** Text after `220 <hostname> ` in the greeting. @default {"ESMTP Empath"} */
  greeting?: string;
  /**
   * Whether EHLO and HELO become `helo` decision events (for policy hooks); otherwise the
   * session answers them itself. @default {false}
   */
  decideHelo?: boolean;
  /**
   * Whether to offer DSN (RFC 3461): advertised in EHLO, RET/ENVID on MAIL and NOTIFY/ORCPT
   * on RCPT accepted, and command lines may be 500 octets longer (RFC 3461 §5). Without it
   * those parameters get `555 5.5.4`. @default {false}
   */
  dsn?: boolean;
}

/** What the driver must do next; see `ServerSession.nextEvent()`. */
export type SessionEvent =
  /** Write `bytes` (the formatted `reply`); close the connection afterwards if `close`. */
  | {
    readonly type: "send";
    readonly bytes: Uint8Array;
    readonly reply: Reply;
    readonly close: boolean;
  }
  /**
   * Decision (with `decideHelo`): EHLO or HELO. Any 2xx accepts, and the session writes its
   * own EHLO/HELO reply; another reply refuses with that reply.
   */
  | { readonly type: "helo"; readonly verb: "EHLO" | "HELO"; readonly domain: string }
  /** Decision: MAIL FROM. Answer with `ServerSession.respond()`. */
  | { readonly type: "mail"; readonly reversePath: Path; readonly params: MailParams }
  /** Decision: RCPT TO. */
  | { readonly type: "rcpt"; readonly forwardPath: Path; readonly params: RcptParams }
  /** Decision: a message starts. DATA: answer 354 to accept; BDAT: any 2xx (nothing is written). */
  | { readonly type: "data-start"; readonly mode: "data" | "bdat" }
  /** Decoded message bytes, valid until the next `receive()`; no answer. */
  | { readonly type: "data-chunk"; readonly bytes: Uint8Array }
  /** Decision: the message is complete; answer `250` once it is safely queued. */
  | { readonly type: "data-end" }
  /** The message was refused by the decoder: discard it and write `bytes`. */
  | { readonly type: "data-aborted"; readonly reply: Reply; readonly bytes: Uint8Array }
  /** Upgrade the socket now (the 220 was in the preceding `send`), then call `tlsEstablished()`. */
  | { readonly type: "starttls" }
  /** Decision: check the credentials; answer `235` or `535`. */
  | {
    readonly type: "auth";
    readonly mechanism: "PLAIN" | "LOGIN";
    readonly authzid?: string;
    readonly username: string;
    readonly password: string;
  }
  /** Nothing more until `receive()` is called again. */
  | { readonly type: "need-data" };

/** The client's greeting command and its argument. */
export interface Helo {
  /** Which greeting: EHLO enables extensions and enhanced status codes. */
  readonly verb: "EHLO" | "HELO";
  /** The argument as the client sent it (not validated: clients send junk). */
  readonly domain: string;
}

/** The envelope of the current transaction, as the driver sees it. */
export interface TransactionView {
  /** The accepted MAIL FROM path. */
  readonly reversePath: Path;
  /** The accepted RCPT TO paths, in order. */
  readonly recipients: readonly Path[];
  /** The RCPT parameters (DSN's NOTIFY and ORCPT) of each accepted recipient, in order. */
  readonly recipientParams: readonly RcptParams[];
  /** The MAIL parameters. */
  readonly mailParams: MailParams;
}

/** What the session is doing, for the driver's timeouts and connection list. */
export type SessionPhase = "command" | "data" | "bdat" | "auth" | "starttls" | "closed";
