/**
 * The types a policy hook module is written against: the points where hooks run, what each
 * one is given (read-only views and the mutable `context`) and what it may answer. See
 * docs/HOOKS.md.
 *
 * @module
 */

/** The hook points, in the order a message meets them. */
export const HOOK_PHASES = [
  "onConnect",
  "onHelo",
  "onMailFrom",
  "onRcptTo",
  "onData",
  "onQueued",
  "onDeliveryResult",
] as const;

/** One hook point: the name of the function a module exports. */
export type HookPhase = typeof HOOK_PHASES[number];

/** The hook points that run while the client waits, and whose answer counts. */
export type SessionHookPhase = Exclude<HookPhase, "onQueued" | "onDeliveryResult">;

/** The hook points that run after the message is queued; `after_queue` makes them durable. */
export type AfterQueuePhase = "onQueued" | "onDeliveryResult";

/**
 * Values hooks attach to a transaction: flat plain data. Hooks before the queue may change it;
 * it is stored with the message (at most 4 KiB as JSON) and handed to `onQueued` and
 * `onDeliveryResult`, read-only.
 */
export type HookContext = Record<string, string | number | boolean>;

/** The client's address as seen on the socket. */
export interface PeerView {
  readonly ip: string;
  readonly port: number;
}

/** TLS parameters of the session, once STARTTLS completed. */
export interface TlsView {
  /** For example `"TLSv1.3"`. */
  readonly version: string;
  readonly cipher: string;
}

/** The client's EHLO or HELO. */
export interface HeloView {
  readonly verb: "EHLO" | "HELO";
  /** The argument as sent (not validated: clients send junk). */
  readonly domain: string;
}

/** The SMTP session as hooks see it: frozen, a snapshot taken for each call. */
export interface SessionView {
  /** The connection's number, as in the logs. */
  readonly connectionId: number;
  /** The name of the `[[listen]]` entry that accepted the connection. */
  readonly listener: string;
  readonly peer: PeerView;
  /** Present once STARTTLS completed. */
  readonly tls?: TlsView;
  /** The SMTP AUTH user, once authenticated. */
  readonly authUser?: string;
  /** The last accepted EHLO/HELO (at `onHelo`: the previous one, if any). */
  readonly helo?: HeloView;
}

/** The envelope so far: frozen. */
export interface EnvelopeView {
  /** The MAIL FROM address; `""` for the null reverse-path `<>`. */
  readonly reversePath: string;
  /** The recipients accepted so far (at `onRcptTo`: without the one being decided). */
  readonly recipients: readonly string[];
  /** ESMTP MAIL parameters that matter for relaying. */
  readonly mailParams: { readonly body?: string; readonly smtputf8: boolean };
  /** The queue id: known from `onData` on. */
  readonly messageId?: string;
}

/** The message at `onData`: received in full and spooled, not yet committed. */
export interface MessageView {
  /**
   * The header fields in order, as `[name, value]`: the name as written, the value unfolded
   * (RFC 5322 §2.2.3) without the leading white space. The first is the `Received:` field
   * Empath added. At most 64 KiB of header section is parsed.
   */
  readonly headers: readonly (readonly [string, string])[];
  /** Octets of the message as stored (with Empath's `Received:` field). */
  readonly size: number;
  /** A new stream of the body (after the empty line ending the header section), from the spool. */
  body(): ReadableStream<Uint8Array>;
  /** A new stream of the whole message as stored, header section first, from the spool. */
  raw(): ReadableStream<Uint8Array>;
}

/** What every hook call gets. */
export interface HookInput {
  /** Aborted when the hook's time budget runs out: pass it to `fetch` or `Deno.resolveDns`. */
  readonly signal: AbortSignal;
}

/** `onConnect`: a client connected; the greeting is not sent yet. */
export interface ConnectInput extends HookInput {
  readonly session: SessionView;
  /** Copied into the context of each transaction of the session. */
  readonly context: HookContext;
}

/** `onHelo`: EHLO or HELO. */
export interface HeloInput extends HookInput {
  readonly session: SessionView;
  readonly helo: HeloView;
  /** Copied into the context of each later transaction of the session. */
  readonly context: HookContext;
}

/** `onMailFrom`: MAIL FROM, after Empath's own checks. */
export interface MailFromInput extends HookInput {
  readonly session: SessionView;
  /** The envelope with this reverse-path and no recipients yet. */
  readonly envelope: EnvelopeView;
  readonly context: HookContext;
}

/** `onRcptTo`: RCPT TO, after Empath's relay policy accepted the recipient. */
export interface RcptToInput extends HookInput {
  readonly session: SessionView;
  readonly envelope: EnvelopeView;
  /** The recipient being decided (canonical form). */
  readonly recipient: string;
  readonly context: HookContext;
}

/** `onData`: the message is received and spooled; nothing is committed until every hook agrees. */
export interface DataInput extends HookInput {
  readonly session: SessionView;
  /** With `messageId`. */
  readonly envelope: EnvelopeView;
  readonly message: MessageView;
  readonly context: HookContext;
}

/** `onQueued`: the message is committed and the client has its `250`. */
export interface QueuedInput extends HookInput {
  readonly session: SessionView;
  /** With `messageId`. */
  readonly envelope: EnvelopeView;
  /** The context as stored with the message: read-only. */
  readonly context: Readonly<HookContext>;
}

/** The outcome of one recipient in one delivery attempt. */
export interface DeliveryResultView {
  readonly recipient: string;
  /** `"failed"` is final (a bounce goes to the sender); `"deferred"` is retried. */
  readonly status: "delivered" | "deferred" | "failed";
  /** The receiving server's reply, or Empath's own reason (DNS, network, expiry). */
  readonly reply?: { readonly code: number; readonly enhanced?: string; readonly text: string };
  /** The attempt number for this recipient, from 1. */
  readonly attempt: number;
}

/** `onDeliveryResult`: a delivery attempt of a message ended for some of its recipients. */
export interface DeliveryResultInput extends HookInput {
  readonly messageId: string;
  /** The reverse-path (`""` for the null sender). */
  readonly reversePath: string;
  /** Every recipient of the message. */
  readonly recipients: readonly string[];
  /** Where the message came from. */
  readonly receivedFrom: {
    readonly ip: string;
    readonly helo: string;
    readonly listener?: string;
    readonly authUser?: string;
  };
  /** The recipients this attempt decided. */
  readonly results: readonly DeliveryResultView[];
  /** The context stored with the message: read-only. */
  readonly context: Readonly<HookContext>;
}

/** Stop running the later hooks of this point: the command is accepted (Empath's own checks already passed). */
export interface AcceptVerdict {
  readonly action: "accept";
}

/** Refuse the command: a permanent (5xx) or temporary (4xx) SMTP reply. */
export interface RefuseVerdict {
  readonly action: "reject" | "defer";
  /** `reject`: 500–559; `defer`: 400–459 (421 also closes the connection). */
  readonly code: number;
  /** RFC 3463 enhanced code of the same class, such as `"5.7.1"`. */
  readonly enhanced?: string;
  /** One line of printable ASCII. */
  readonly text: string;
}

/** `onData` only: header fields added on top of the stored message; later hooks still run. */
export interface HeaderAdditions {
  readonly addHeaders: readonly (readonly [string, string])[];
}

/** `onData` only: the message's priority (0–9, higher first); later hooks still run and may change it. */
export interface PriorityChange {
  readonly priority: number;
}

/** What a hook decides: a verdict, or nothing (`undefined`: carry on with the next hook). */
export type HookVerdict = AcceptVerdict | RefuseVerdict;

/** What a hook may return (or resolve to). */
export type HookResult = HookVerdict | HeaderAdditions | PriorityChange | undefined | void;

/** A hook function's return: its result, at once or as a promise. */
type Answer<T> = T | Promise<T>;

/**
 * A hook module: it exports any of these functions, by name. Every function is optional.
 *
 * @example A recipient check
 * ```ts
 * import type { Hooks } from "../../mod.ts";
 * import { reject } from "../../mod.ts";
 *
 * export const onRcptTo: Hooks["onRcptTo"] = ({ recipient }) =>
 *   recipient.startsWith("noreply@") ? reject(550, "5.1.1", "No such user") : undefined;
 * ```
 */
export interface Hooks {
  onConnect?(input: ConnectInput): Answer<HookResult>;
  onHelo?(input: HeloInput): Answer<HookResult>;
  onMailFrom?(input: MailFromInput): Answer<HookResult>;
  onRcptTo?(input: RcptToInput): Answer<HookResult>;
  onData?(input: DataInput): Answer<HookResult>;
  /** Its result is ignored; a throw or timeout is logged (and retried with `after_queue`). */
  onQueued?(input: QueuedInput): Answer<unknown>;
  /** Its result is ignored; a throw or timeout is logged (and retried with `after_queue`). */
  onDeliveryResult?(input: DeliveryResultInput): Answer<unknown>;
}
