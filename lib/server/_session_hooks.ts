/**
 * The policy hooks of one SMTP connection, private to lib/server: keeps the session's hook
 * context and, per transaction, the hook set and context it started with, builds the frozen
 * views hooks see, and turns their decisions into replies for the connection driver.
 *
 * A transaction (MAIL to the end of its message) keeps the hook set that was in force at its
 * MAIL, so a reload never mixes two versions of the hooks in one transaction; EHLO and the
 * next MAIL use the set in force then.
 */
import {
  deepFreeze,
  type EnvelopeView,
  type HeloView,
  type HookContext,
  type HookRegistry,
  HookSet,
  hookTasks,
  readMessageView,
  type SessionView,
  storableContext,
} from "../hooks/mod.ts";
import type { EnvelopeInit } from "../queue/mod.ts";
import { getLogger } from "../observe/mod.ts";
import { localError, type MailParams, type Path, type Reply } from "../smtp/mod.ts";

const logger = getLogger(["empath", "server"]);

/** What the driver knows about the session, for {@linkcode sessionView}. */
export interface SessionFacts {
  readonly connectionId: number;
  readonly listener: string;
  readonly peer: { readonly address: string; readonly port: number };
  readonly tls?: { readonly version: string; readonly cipher: string };
  readonly authUser?: string;
  readonly helo?: HeloView;
}

/** The envelope fields a view is made of. */
type EnvelopeFacts = Pick<EnvelopeInit, "reversePath" | "recipients" | "mailParams">;

/** What the `onData` hooks decided: refuse with `reply`, or commit with these extras. */
export type DataOutcome =
  | { readonly kind: "refuse"; readonly reply: Reply }
  | {
    readonly kind: "commit";
    /** Fields to store with the envelope: added headers, the context, after-queue tasks. */
    readonly extras: Pick<EnvelopeInit, "headerPrefix" | "hookContext" | "tasks" | "priority">;
  };

/** What a transaction without hooks commits with its message: nothing extra. */
const NOTHING_TO_COMMIT: DataOutcome = { kind: "commit", extras: {} };

/** A frozen snapshot of the session for hooks. */
export function sessionView(facts: SessionFacts): SessionView {
  return deepFreeze({
    connectionId: facts.connectionId,
    listener: facts.listener,
    peer: { ip: facts.peer.address, port: facts.peer.port },
    ...(facts.tls ? { tls: { version: facts.tls.version, cipher: facts.tls.cipher } } : {}),
    ...(facts.authUser === undefined ? {} : { authUser: facts.authUser }),
    ...(facts.helo ? { helo: { verb: facts.helo.verb, domain: facts.helo.domain } } : {}),
  });
}

/** A frozen snapshot of the envelope for hooks. */
export function envelopeView(facts: EnvelopeFacts, messageId?: string): EnvelopeView {
  return deepFreeze({
    reversePath: facts.reversePath,
    recipients: [...facts.recipients],
    mailParams: {
      ...(facts.mailParams?.body === undefined ? {} : { body: facts.mailParams.body }),
      smtputf8: facts.mailParams?.smtputf8 === true,
    },
    ...(messageId === undefined ? {} : { messageId }),
  });
}

/** The hooks of one connection. Its methods never throw: failed hooks answer `451 4.3.0`. */
export class SessionHooks {
  readonly #registry: HookRegistry | undefined;
  /** The address a RCPT TO:<Postmaster> without a domain stands for. */
  readonly #postmaster: string;
  /** Values set at `onConnect` and `onHelo`, copied into each transaction's context. */
  #context: HookContext = {};
  #transaction: { readonly hooks: HookSet; readonly context: HookContext } | undefined;

  constructor(registry: HookRegistry | undefined, postmaster: string) {
    this.#registry = registry;
    this.#postmaster = postmaster;
  }

  /** `onConnect`: a refusal for the greeting (`554` or `421`), or `undefined` to greet. */
  async connect(session: () => SessionView): Promise<Reply | undefined> {
    const hooks = this.#current;
    if (!hooks.has("onConnect")) return undefined;
    const decision = await hooks.run("onConnect", { session: session(), context: this.#context });
    if (decision.kind === "continue") return undefined;
    // RFC 5321 §3.1 and §3.8: a refused greeting is 554, or 421 when temporary.
    const { reply } = decision;
    return { ...reply, code: reply.code >= 500 ? 554 : 421 };
  }

  /** `onHelo`: a refusal, or `undefined` to accept. */
  async helo(session: () => SessionView, helo: HeloView): Promise<Reply | undefined> {
    const hooks = this.#current;
    if (!hooks.has("onHelo")) return undefined;
    const input = { session: session(), helo: deepFreeze({ ...helo }), context: this.#context };
    return refusal(await hooks.run("onHelo", input));
  }

  /** `onMailFrom`: starts the transaction's hooks; a refusal, or `undefined` to accept. */
  async mailFrom(
    session: () => SessionView,
    mail: { readonly reversePath: Path; readonly params: MailParams },
  ): Promise<Reply | undefined> {
    const transaction = { hooks: this.#current, context: { ...this.#context } };
    this.#transaction = transaction;
    if (!transaction.hooks.has("onMailFrom")) return undefined;
    const envelope = envelopeView({
      reversePath: mail.reversePath.kind === "mailbox" ? mail.reversePath.address : "",
      recipients: [],
      mailParams: { body: mail.params.body, smtputf8: mail.params.smtputf8 },
    });
    const input = { session: session(), envelope, context: transaction.context };
    return refusal(await transaction.hooks.run("onMailFrom", input));
  }

  /** `onRcptTo`, for a recipient Empath accepted: a refusal, or `undefined` to accept. */
  async rcptTo(
    session: () => SessionView,
    envelope: () => EnvelopeFacts,
    path: Path,
  ): Promise<Reply | undefined> {
    if (path.kind !== "mailbox") return undefined;
    const { hooks, context } = this.#inTransaction();
    if (!hooks.has("onRcptTo")) return undefined;
    // RFC 5321 §4.5.1: "Postmaster" without a domain is this host's postmaster.
    const recipient = path.domain === "" ? this.#postmaster : path.address;
    const input = { session: session(), envelope: envelopeView(envelope()), recipient, context };
    return refusal(await hooks.run("onRcptTo", input));
  }

  /**
   * `onData`, once the message is spooled: reads it back through `open` when a hook needs
   * it, and returns a refusal or what to commit with it.
   */
  async data(
    session: () => SessionView,
    envelope: EnvelopeFacts,
    message: { readonly id: string; readonly size: number; open(): ReadableStream<Uint8Array> },
  ): Promise<DataOutcome> {
    const { hooks, context } = this.#inTransaction();
    if (hooks.hooks.length === 0) return NOTHING_TO_COMMIT;
    const view = envelopeView(envelope, message.id);
    let headerPrefix: string | undefined;
    let priority: number | undefined;
    if (hooks.has("onData")) {
      let decision;
      try {
        const messageView = await readMessageView(() => message.open(), message.size);
        decision = await hooks.run("onData", {
          session: session(),
          envelope: view,
          message: messageView,
          context,
        });
      } catch (error) {
        // The spool could not be read back: as for any storage failure, try again later.
        logger.error("Cannot read message {message_id} back for onData hooks: {error}", {
          message_id: message.id,
          error,
        });
        return { kind: "refuse", reply: localError() };
      }
      if (decision.kind === "refuse") return decision;
      if (decision.headers !== "") headerPrefix = decision.headers;
      priority = decision.priority;
    }
    const hookContext = storableContext(context, message.id);
    const tasks = hookTasks(hooks, "onQueued", {
      session: session(),
      envelope: view,
      context: deepFreeze({ ...hookContext }),
    });
    return {
      kind: "commit",
      extras: {
        ...(headerPrefix === undefined ? {} : { headerPrefix }),
        ...(priority === undefined ? {} : { priority }),
        ...(hookContext === undefined ? {} : { hookContext }),
        ...(tasks.length === 0 ? {} : { tasks }),
      },
    };
  }

  /**
   * After the commit: runs the transaction's `onQueued` hooks that are not `after_queue`,
   * best effort, without waiting (the client has its reply). The `after_queue` ones were
   * committed as tasks with the message.
   */
  queued(
    session: () => SessionView,
    envelope: EnvelopeFacts & Pick<EnvelopeInit, "hookContext">,
    messageId: string,
  ): void {
    const { hooks } = this.#inTransaction();
    this.#transaction = undefined;
    if (!hooks.has("onQueued")) return;
    const stored = deepFreeze({ ...envelope.hookContext });
    void hooks.notify("onQueued", {
      session: session(),
      envelope: envelopeView(envelope, messageId),
      context: stored,
    });
  }

  get #current(): HookSet {
    return this.#registry?.current ?? HookSet.EMPTY;
  }

  #inTransaction(): { readonly hooks: HookSet; readonly context: HookContext } {
    return this.#transaction ??= { hooks: this.#current, context: { ...this.#context } };
  }
}

function refusal(decision: Awaited<ReturnType<HookSet["run"]>>): Reply | undefined {
  return decision.kind === "refuse" ? decision.reply : undefined;
}
