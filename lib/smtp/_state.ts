/**
 * The pure SMTP server transition table (RFC 5321 §4.1.4 ordering rules),
 * private to lib/smtp: `transition(state, command)` and
 * `applyDecision(state, decision, reply)`. No I/O, no phases, no buffers.
 */
import type { Path } from "./address.ts";
import type { Command } from "./command.ts";
import { dsnRefusal, type MailParams, type RcptParams } from "./params.ts";
import type { Credentials, SaslMechanism } from "./_sasl.ts";
import {
  authRequired,
  badSequence,
  cannotVrfy,
  ehloReply,
  encryptionRequired,
  heloReply,
  help,
  messageTooLarge,
  notImplemented,
  noValidRecipients,
  ok,
  serviceClosing,
  startTlsReady,
  tlsRequired,
  tooManyRecipients,
  unsupportedMechanism,
} from "./replies.ts";
import type { Reply } from "./reply.ts";
import type { Helo } from "./session_event.ts";

/** How far the message body of a transaction has got. */
export type BodyState =
  | { readonly kind: "none" }
  /** DATA was refused; BDAT is now out of sequence (RFC 3030 §3). */
  | { readonly kind: "data-refused" }
  /** Non-final BDAT chunks were accepted, `received` octets in total. */
  | { readonly kind: "bdat"; readonly received: number };

/** One mail transaction: from MAIL to the end of the message (or RSET). */
export interface Transaction {
  readonly reversePath: Path;
  readonly mailParams: MailParams;
  readonly recipients: readonly Path[];
  /** The RCPT parameters (DSN's NOTIFY and ORCPT) of each recipient, in the same order. */
  readonly recipientParams: readonly RcptParams[];
  readonly body: BodyState;
}

/** Per-connection state; the transaction is kept apart and dropped on RSET/EHLO/HELO. */
export interface SessionState {
  /** `"refused"` after a `554` greeting: only QUIT is served (RFC 5321 §3.1). */
  readonly service: "open" | "refused";
  readonly helo: Helo | undefined;
  readonly tls: boolean;
  readonly authenticatedUser: string | undefined;
  readonly transaction: Transaction | undefined;
}

/** The settings transitions depend on. */
export interface TransitionConfig {
  readonly hostname: string;
  readonly maxMessageSize: number;
  readonly maxRecipients: number;
  readonly starttls: boolean;
  readonly auth: "disabled" | "optional" | "required";
  /** Whether EHLO/HELO are decisions for the caller (policy hooks) rather than answered here. */
  readonly decideHelo: boolean;
  /** Whether DSN (RFC 3461) is offered; without it RET, ENVID, NOTIFY and ORCPT get `555`. */
  readonly dsn: boolean;
}

/** A question for the caller (policy, queue, authenticator), answered by a reply. */
export type Decision =
  | { readonly kind: "helo"; readonly helo: Helo }
  | { readonly kind: "mail"; readonly reversePath: Path; readonly params: MailParams }
  | { readonly kind: "rcpt"; readonly forwardPath: Path; readonly params: RcptParams }
  | { readonly kind: "data-start" }
  | { readonly kind: "bdat-start"; readonly size: number; readonly last: boolean }
  | { readonly kind: "data-end" }
  | { readonly kind: "auth"; readonly credentials: Credentials };

/** What a BDAT command leads to, once its chunk is read. */
export type BdatVerdict =
  /** The first chunk of a transaction: ask the caller first. */
  | { readonly kind: "decide" }
  /** A further chunk of an accepted body: read and pass it on. */
  | { readonly kind: "continue" }
  /** Consume the chunk, then send `reply`; `aborted` if chunks were already passed on. */
  | {
    readonly kind: "refuse";
    readonly state: SessionState;
    readonly reply: Reply;
    readonly aborted: boolean;
  };

/** The outcome of one command. */
export type Transition =
  | {
    readonly kind: "reply";
    readonly state: SessionState;
    readonly reply: Reply;
    readonly close: boolean;
  }
  | { readonly kind: "decide"; readonly decision: Decision }
  | { readonly kind: "starttls"; readonly reply: Reply }
  | {
    readonly kind: "bdat";
    readonly size: number;
    readonly last: boolean;
    readonly verdict: BdatVerdict;
  }
  | { readonly kind: "auth"; readonly mechanism: SaslMechanism; readonly initialResponse?: string };

/** The state of a new connection, or of one just upgraded to TLS (RFC 3207 §4.2). */
export function initialState(tls: boolean): SessionState {
  return {
    service: "open",
    helo: undefined,
    tls,
    authenticatedUser: undefined,
    transaction: undefined,
  };
}

/** The state after a `554` greeting: every command but QUIT gets `503` (RFC 5321 §3.1). */
export function refusedState(state: SessionState): SessionState {
  return { ...state, service: "refused" };
}

function reply(state: SessionState, answer: Reply): Transition {
  return { kind: "reply", state, reply: answer, close: false };
}

/** Applies one parsed command to the state; a bad sequence leaves the state unchanged. */
export function transition(
  state: SessionState,
  command: Command,
  config: TransitionConfig,
): Transition {
  // RFC 5321 §3.1: after a 554 greeting, wait for QUIT and answer the rest with 503.
  if (state.service === "refused" && command.verb !== "QUIT") {
    return reply(state, badSequence("Error: no SMTP service here"));
  }
  switch (command.verb) {
    case "EHLO":
    case "HELO":
      return greet(state, command, config);
    case "MAIL":
      return mail(state, command, config);
    case "RCPT":
      return rcpt(state, command, config);
    case "DATA":
      return data(state);
    case "BDAT":
      return {
        kind: "bdat",
        size: command.size,
        last: command.last,
        verdict: bdat(state, command.size, config),
      };
    case "RSET": // RFC 5321 §4.1.1.5
      return reply({ ...state, transaction: undefined }, ok());
    case "NOOP":
      return reply(state, ok());
    case "QUIT":
      return { kind: "reply", state, reply: serviceClosing(), close: true };
    case "VRFY": // RFC 5321 §3.5.3
      return reply(state, cannotVrfy());
    case "EXPN":
      return reply(state, notImplemented());
    case "HELP":
      return reply(state, help());
    case "STARTTLS":
      return starttls(state, config);
    case "AUTH":
      return auth(state, command.mechanism, command.initialResponse, config);
    default:
      return unreachable(command);
  }
}

/** The ESMTP extensions advertised in the EHLO reply. */
export function extensions(state: SessionState, config: TransitionConfig): string[] {
  const list = [
    "PIPELINING",
    config.maxMessageSize > 0 ? `SIZE ${config.maxMessageSize}` : "SIZE",
    "8BITMIME",
    "SMTPUTF8",
    "ENHANCEDSTATUSCODES",
    "CHUNKING",
  ];
  if (config.dsn) list.push("DSN");
  if (config.starttls && !state.tls) list.push("STARTTLS");
  // RFC 4954 §4: never offer plaintext passwords outside TLS.
  if (state.tls && config.auth !== "disabled") list.push("AUTH PLAIN LOGIN");
  return list;
}

function greet(
  state: SessionState,
  command: Extract<Command, { verb: "EHLO" | "HELO" }>,
  config: TransitionConfig,
): Transition {
  const helo = { verb: command.verb, domain: command.domain };
  if (config.decideHelo) return { kind: "decide", decision: { kind: "helo", helo } };
  const next = greeted(state, helo);
  return reply(next, heloAnswer(next, config));
}

/** RFC 5321 §4.1.4: an accepted EHLO/HELO records the greeting and resets the transaction. */
function greeted(state: SessionState, helo: Helo): SessionState {
  return { ...state, helo, transaction: undefined };
}

/** The `250` answer to the accepted EHLO (with the extensions) or HELO recorded in `state`. */
export function heloAnswer(state: SessionState, config: TransitionConfig): Reply {
  return state.helo?.verb === "EHLO"
    ? ehloReply(config.hostname, extensions(state, config))
    : heloReply(config.hostname);
}

function mail(
  state: SessionState,
  command: Extract<Command, { verb: "MAIL" }>,
  config: TransitionConfig,
): Transition {
  const refused = dsnRefusal(command.params, config.dsn);
  if (refused !== undefined) return reply(state, refused);
  if (state.helo === undefined) return reply(state, badSequence("Error: send HELO/EHLO first"));
  if (state.transaction !== undefined) {
    return reply(state, badSequence("Error: nested MAIL command"));
  }
  if (config.auth === "required" && state.authenticatedUser === undefined) {
    return reply(state, state.tls ? authRequired() : tlsRequired());
  }
  const size = command.params.size;
  if (config.maxMessageSize > 0 && size !== undefined && size > config.maxMessageSize) {
    return reply(state, messageTooLarge()); // RFC 1870 §6.1
  }
  return {
    kind: "decide",
    decision: { kind: "mail", reversePath: command.reversePath, params: command.params },
  };
}

function rcpt(
  state: SessionState,
  command: Extract<Command, { verb: "RCPT" }>,
  config: TransitionConfig,
): Transition {
  const refused = dsnRefusal(command.params, config.dsn);
  if (refused !== undefined) return reply(state, refused);
  const transaction = state.transaction;
  if (transaction === undefined) return reply(state, badSequence("Error: need MAIL command"));
  if (transaction.body.kind === "bdat") return reply(state, badSequence());
  if (transaction.recipients.length >= config.maxRecipients) {
    return reply(state, tooManyRecipients());
  }
  return {
    kind: "decide",
    decision: { kind: "rcpt", forwardPath: command.forwardPath, params: command.params },
  };
}

function data(state: SessionState): Transition {
  const transaction = state.transaction;
  if (transaction === undefined) return reply(state, badSequence("Error: need MAIL command"));
  // RFC 3030 §3: DATA and BDAT do not mix in one transaction.
  if (transaction.body.kind === "bdat") return reply(state, badSequence("Error: BDAT in progress"));
  // RFC 2920 §3.1: DATA after all RCPTs failed gets 554, not 354.
  if (transaction.recipients.length === 0) return reply(state, noValidRecipients());
  return { kind: "decide", decision: { kind: "data-start" } };
}

function bdat(state: SessionState, size: number, config: TransitionConfig): BdatVerdict {
  const transaction = state.transaction;
  const refuse = (answer: Reply): BdatVerdict => ({
    kind: "refuse",
    state,
    reply: answer,
    aborted: false,
  });
  if (transaction === undefined) return refuse(badSequence("Error: need MAIL command"));
  if (transaction.body.kind === "data-refused") return refuse(badSequence());
  if (transaction.recipients.length === 0) return refuse(noValidRecipients());
  const received = transaction.body.kind === "bdat" ? transaction.body.received : 0;
  if (config.maxMessageSize > 0 && received + size > config.maxMessageSize) {
    // RFC 3030 §2: the chunk is still consumed; the transaction is over.
    const next = { ...state, transaction: undefined };
    return {
      kind: "refuse",
      state: next,
      reply: messageTooLarge(),
      aborted: transaction.body.kind === "bdat",
    };
  }
  return transaction.body.kind === "bdat" ? { kind: "continue" } : { kind: "decide" };
}

function starttls(state: SessionState, config: TransitionConfig): Transition {
  if (state.tls) return reply(state, badSequence("Error: TLS already active"));
  if (!config.starttls) return reply(state, badSequence("Error: STARTTLS not offered"));
  if (state.transaction !== undefined) {
    return reply(state, badSequence("Error: MAIL transaction in progress"));
  }
  return { kind: "starttls", reply: startTlsReady() };
}

function auth(
  state: SessionState,
  mechanism: string,
  initialResponse: string | undefined,
  config: TransitionConfig,
): Transition {
  if (config.auth === "disabled") {
    return reply(state, badSequence("Error: authentication not enabled"));
  }
  if (!state.tls) return reply(state, encryptionRequired());
  if (state.helo?.verb !== "EHLO") return reply(state, badSequence("Error: send EHLO first"));
  if (state.authenticatedUser !== undefined) {
    return reply(state, badSequence("Error: already authenticated"));
  }
  if (state.transaction !== undefined) {
    return reply(state, badSequence("Error: MAIL transaction in progress"));
  }
  if (mechanism !== "PLAIN" && mechanism !== "LOGIN") return reply(state, unsupportedMechanism());
  return initialResponse === undefined
    ? { kind: "auth", mechanism }
    : { kind: "auth", mechanism, initialResponse };
}

/** Applies the caller's reply to a decision; 2xx and 3xx mean accepted. */
export function applyDecision(
  state: SessionState,
  decision: Decision,
  answer: Reply,
): SessionState {
  const accepted = answer.code < 400;
  const transaction = state.transaction;
  switch (decision.kind) {
    case "helo":
      return accepted ? greeted(state, decision.helo) : state;
    case "mail":
      if (!accepted) return state;
      return {
        ...state,
        transaction: {
          reversePath: decision.reversePath,
          mailParams: decision.params,
          recipients: [],
          recipientParams: [],
          body: { kind: "none" },
        },
      };
    case "rcpt":
      if (!accepted || transaction === undefined) return state;
      return {
        ...state,
        transaction: {
          ...transaction,
          recipients: [...transaction.recipients, decision.forwardPath],
          recipientParams: [...transaction.recipientParams, decision.params],
        },
      };
    case "data-start":
      if (accepted || transaction === undefined) return state;
      return { ...state, transaction: { ...transaction, body: { kind: "data-refused" } } };
    case "bdat-start":
      if (!accepted || transaction === undefined) return { ...state, transaction: undefined };
      return { ...state, transaction: { ...transaction, body: { kind: "bdat", received: 0 } } };
    case "data-end": // RFC 5321 §4.1.1.4: the transaction ends either way
      return { ...state, transaction: undefined };
    case "auth":
      return accepted ? { ...state, authenticatedUser: decision.credentials.username } : state;
    default:
      return unreachable(decision);
  }
}

/** Records a further accepted BDAT chunk of `size` octets. */
export function addBdatChunk(state: SessionState, size: number): SessionState {
  const transaction = state.transaction;
  if (transaction === undefined || transaction.body.kind !== "bdat") return state;
  const body = { kind: "bdat", received: transaction.body.received + size } as const;
  return { ...state, transaction: { ...transaction, body } };
}

function unreachable(value: never): never {
  throw new TypeError(`Unexpected value "${JSON.stringify(value)}"`);
}
