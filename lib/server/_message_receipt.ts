/**
 * The receipt of one message on an SMTP connection, private to lib/server: from DATA or BDAT to
 * the commit. Writes the `Received:` header and the body into the spool (a
 * {@linkcode MessageIntake}), asks the `onData` hooks, builds the envelope (with the priority a
 * submitter's header sets), commits it, then counts and announces the message.
 */
import type { SessionView } from "../hooks/mod.ts";
import { envelopeFits, type EnvelopeInit, headerPriority } from "../queue/mod.ts";
import {
  fieldValue,
  type Path,
  type RcptParams,
  receivedHeader,
  receivedProtocol,
  type Reply,
  type ServerSession,
  type TransactionView,
} from "../smtp/mod.ts";
import { getLogger } from "../observe/mod.ts";
import type { ConnectionServices, ConnectionSettings } from "./connection_types.ts";
import { type SessionTrace, UNTRACED_COMMIT } from "./_session_trace.ts";
import type { SessionHooks } from "./_session_hooks.ts";
import { MessageIntake } from "./intake.ts";
import type { TlsSessionInfo } from "./tls.ts";

const logger = getLogger(["empath", "server"]);

/** The connection as a receipt reads it, at the time it needs it (STARTTLS and AUTH change it). */
export interface ReceiptConnection {
  /** The session: the open transaction, the HELO and the authenticated user. */
  readonly session: Pick<ServerSession, "transaction" | "helo" | "authenticatedUser">;
  /** The client address as seen on the socket. */
  peerAddress(): string;
  /** The TLS session, once STARTTLS completed. */
  tls(): TlsSessionInfo | undefined;
  /** The frozen view of the session that hooks see. */
  hookSession(): SessionView;
}

/** The connection's parts a receipt works with. */
export interface ReceiptDeps {
  readonly services: ConnectionServices;
  readonly settings: ConnectionSettings;
  readonly hooks: SessionHooks;
  /** The connection's spans; `undefined` when tracing is off. */
  readonly trace: SessionTrace | undefined;
}

/** The address a recipient without a domain (`RCPT TO:<Postmaster>`) stands for. */
export function postmaster(hostname: string): string {
  return `postmaster@${hostname.toLowerCase()}`;
}

/** Receives the messages of one connection, one at a time. */
export class MessageReceipt {
  readonly #connection: ReceiptConnection;
  readonly #services: ConnectionServices;
  readonly #settings: ConnectionSettings;
  readonly #hooks: SessionHooks;
  readonly #trace: SessionTrace | undefined;
  readonly #intake: MessageIntake;
  /** Body bytes of the message being received, for metrics. */
  #bytes = 0;
  #received = 0;

  constructor(connection: ReceiptConnection, deps: ReceiptDeps) {
    this.#connection = connection;
    this.#services = deps.services;
    this.#settings = deps.settings;
    this.#hooks = deps.hooks;
    this.#trace = deps.trace;
    this.#intake = new MessageIntake(deps.services.queue, deps.services.dkim);
  }

  /** The number of messages committed so far. */
  get received(): number {
    return this.#received;
  }

  /** Opens the spool for a new message; returns the reply to DATA (`354`) or to the first BDAT. */
  async begin(mode: "data" | "bdat"): Promise<Reply> {
    this.#bytes = 0;
    const { session } = this.#connection;
    const client = {
      ip: this.#connection.peerAddress(),
      authenticatedUser: session.authenticatedUser,
    };
    const submitter = this.#services.policy.isSubmitter(client);
    // Only submitted mail is signed, and only a submitter may set its priority with a header.
    const header = submitter ? this.#settings.priority?.header.toLowerCase() : undefined;
    await this.#intake.begin((id) => this.#receivedHeader(id), {
      sign: submitter,
      collect: header ? new Set([header]) : undefined,
    });
    this.#trace?.dataStarted(this.#intake.id ?? "", session.transaction);
    if (mode === "bdat") return { code: 250, enhanced: "2.0.0", lines: ["Ok"] };
    return { code: 354, lines: ["End data with <CR><LF>.<CR><LF>"] };
  }

  /** Appends body bytes to the message being received. */
  async write(bytes: Uint8Array): Promise<void> {
    this.#bytes += bytes.byteLength;
    await this.#intake.write(bytes);
  }

  /** Drops the message being received, if any. Never throws. */
  async discard(): Promise<void> {
    await this.#intake.discard();
  }

  /**
   * Ends the message: the `onData` hooks, then the commit. Returns the final reply (`250` once
   * the message is safely queued).
   */
  async end(): Promise<Reply> {
    const id = this.#intake.id ?? "";
    const intake = this.#intake;
    const hooks = await this.#hooks.data(() => this.#connection.hookSession(), this.envelope(), {
      id,
      size: intake.size,
      open: () => intake.readSpooled(),
    });
    if (hooks.kind === "refuse") {
      await intake.discard(); // nothing is stored: the client gets the hook's reply
      return hooks.reply;
    }
    const commit = this.#trace?.commit(id) ?? UNTRACED_COMMIT;
    const envelope = {
      ...this.envelope(),
      ...this.#priority(),
      ...hooks.extras,
      traceContext: commit.traceContext,
    };
    const reply = await commit.run(() => this.#intake.finish(envelope));
    commit.end(reply);
    if (reply.code === 250) {
      this.#received++;
      this.#queued(id, envelope);
      commit.run(() =>
        logger.info("Message {message_id} queued from {ip}", {
          message_id: id,
          ip: this.#connection.peerAddress(),
          recipients: this.#connection.session.transaction?.recipients.length,
        })
      );
    }
    return reply;
  }

  /**
   * The envelope of the open transaction, as it is committed (also what `onRcptTo` hooks see).
   *
   * @throws {TypeError} If no transaction is open.
   */
  envelope(): EnvelopeInit {
    const { session } = this.#connection;
    const transaction = session.transaction;
    if (transaction === undefined) throw new TypeError("Message ended without a transaction");
    const reversePath = transaction.reversePath;
    return {
      reversePath: reversePath.kind === "mailbox" ? reversePath.address : "",
      recipients: transaction.recipients.map((path) => this.#address(path)),
      receivedFrom: {
        ip: this.#connection.peerAddress(),
        helo: session.helo?.domain ?? "",
        tls: this.#connection.tls(),
        authUser: session.authenticatedUser,
        listener: this.#settings.listener,
      },
      mailParams: {
        body: transaction.mailParams.body,
        smtputf8: transaction.mailParams.smtputf8 === true,
      },
      ...dsnRequest(transaction),
    };
  }

  /**
   * Whether the open transaction can still be queued with `path` added (`envelopeFits`):
   * asked before a RCPT is accepted, so an envelope too large to store is refused with 452.
   */
  fitsRecipient(path: Path, params: RcptParams): boolean {
    const envelope = this.envelope();
    const recipientDsn = [
      ...(envelope.recipientDsn ?? envelope.recipients.map(() => ({}))),
      { ...(params.notify ? { notify: [...params.notify] } : {}), orcpt: params.orcpt },
    ];
    const recipients = [...envelope.recipients, this.#address(path)];
    return envelopeFits({ ...envelope, recipients, recipientDsn });
  }

  /** The stored address of a forward-path: `Postmaster` alone is this host's postmaster. */
  #address(path: Path): string {
    return path.kind === "mailbox" && path.domain !== ""
      ? path.address
      : postmaster(this.#settings.hostname);
  }

  /** Counts the committed message and tells the composition root and the `onQueued` hooks. */
  #queued(id: string, envelope: EnvelopeInit): void {
    this.#services.metrics?.messageReceived(this.#settings.listener, this.#bytes);
    this.#services.onQueued?.({
      id,
      recipients: this.#connection.session.transaction?.recipients.length ?? 0,
      envelope,
      size: this.#bytes,
    });
    this.#hooks.queued(() => this.#connection.hookSession(), envelope, id);
  }

  /** `{ priority }` from the submitter's priority header, else the configured default. */
  #priority(): Pick<EnvelopeInit, "priority"> {
    const rule = this.#settings.priority;
    if (rule === undefined) return {};
    const [field] = this.#intake.headerFields();
    const fromHeader = field === undefined
      ? undefined
      : headerPriority(fieldValue(field), rule.values);
    return { priority: fromHeader ?? rule.default };
  }

  #receivedHeader(id: string): string {
    const { session } = this.#connection;
    const transaction = session.transaction;
    const recipients = transaction?.recipients ?? [];
    const only = recipients.length === 1 ? recipients[0] : undefined;
    const tls = this.#connection.tls();
    return receivedHeader({
      from: session.helo?.domain ?? "unknown",
      ip: this.#connection.peerAddress(),
      by: this.#settings.hostname,
      with: receivedProtocol({
        esmtp: session.helo?.verb === "EHLO",
        tls: tls !== undefined,
        authenticated: session.authenticatedUser !== undefined,
        utf8: transaction?.mailParams.smtputf8 === true,
      }),
      tls,
      id,
      for: only?.kind === "mailbox" ? only.address : undefined,
      date: new Date(this.#services.now()),
    });
  }
}

/** The DSN parameters of a transaction (RFC 3461) as the queue stores them; none when absent. */
function dsnRequest(
  transaction: TransactionView,
): Pick<EnvelopeInit, "dsn" | "recipientDsn"> {
  const { ret, envid } = transaction.mailParams;
  const recipientDsn = transaction.recipientParams.map(({ notify, orcpt }) => ({
    ...(notify === undefined ? {} : { notify: [...notify] }),
    ...(orcpt === undefined ? {} : { orcpt }),
  }));
  return {
    ...(ret === undefined && envid === undefined ? {} : { dsn: { ret, envid } }),
    ...(recipientDsn.some((dsn) => dsn.notify || dsn.orcpt) ? { recipientDsn } : {}),
  };
}
