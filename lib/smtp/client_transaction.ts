/**
 * The replies collected during one client transaction, and the per-recipient
 * result they add up to.
 *
 * @module
 */
import type { Reply } from "./reply.ts";
import { rcptCommand } from "./client_commands.ts";
import type { ClientTlsInfo, TransactionRequest, TransactionResult } from "./client_types.ts";

/** Whether a reply is a positive completion (2xx). */
export function isPositive(reply: Reply): boolean {
  return reply.code >= 200 && reply.code < 300;
}

/**
 * The replies of one MAIL … DATA … `.` exchange. Replies are recorded in the
 * order the server sends them; {@link result} assigns each recipient the
 * reply that decided its fate.
 *
 * @example
 * ```ts
 * import { ClientTransaction } from "./client_transaction.ts";
 * const request = { reversePath: "", recipients: ["a@x.example"], size: 1, needsSmtputf8: false, eightBit: false };
 * const transaction = new ClientTransaction(request, { pipelined: false, lmtp: false });
 * transaction.mailReply = { code: 250, lines: ["Ok"] };
 * transaction.recordRcpt({ code: 550, enhanced: "5.1.1", lines: ["No such user"] });
 * transaction.result(undefined).recipients[0].reply.code; // 550
 * ```
 */
export class ClientTransaction {
  /** The message being sent. */
  readonly request: TransactionRequest;
  /** Whether MAIL, RCPT and DATA went out in one write (RFC 2920). */
  readonly pipelined: boolean;
  /** Whether this is LMTP, with one end-of-data reply per accepted recipient. */
  readonly lmtp: boolean;
  /** Whether the server offers DSN, so RCPT carries NOTIFY and ORCPT. */
  readonly dsn: boolean;
  /** The reply to MAIL. */
  mailReply: Reply | undefined;
  readonly #rcptReplies: Reply[] = [];
  readonly #finalReplies: Reply[] = [];
  #fallback: Reply | undefined;

  /**
   * Starts recording a transaction.
   *
   * @param request The message being sent.
   * @param options Whether the commands were pipelined, whether this is LMTP and
   *   whether the server offers DSN.
   */
  constructor(
    request: TransactionRequest,
    options: { pipelined: boolean; lmtp: boolean; dsn?: boolean },
  ) {
    this.request = request;
    this.pipelined = options.pipelined;
    this.lmtp = options.lmtp;
    this.dsn = options.dsn ?? false;
  }

  /** The RCPT command of the recipient at `index`. */
  rcptLine(index: number): string {
    return rcptCommand(this.request, index, this);
  }

  /** Whether MAIL was accepted. */
  get mailAccepted(): boolean {
    return this.mailReply !== undefined && isPositive(this.mailReply);
  }

  /** How many RCPT replies were recorded. */
  get rcptCount(): number {
    return this.#rcptReplies.length;
  }

  /** Indexes of the accepted recipients (none when MAIL was refused). */
  get accepted(): number[] {
    if (!this.mailAccepted) return [];
    const indexes: number[] = [];
    this.#rcptReplies.forEach((reply, index) => {
      if (isPositive(reply)) indexes.push(index);
    });
    return indexes;
  }

  /** Whether the end-of-data replies still expected are all in. */
  get finalComplete(): boolean {
    return this.#finalReplies.length >= (this.lmtp ? this.accepted.length : 1);
  }

  /** Records the next RCPT reply. */
  recordRcpt(reply: Reply): void {
    this.#rcptReplies.push(reply);
  }

  /** Records a reply to the end of data (SMTP: one; LMTP: one per accepted recipient). */
  recordFinal(reply: Reply): void {
    this.#finalReplies.push(reply);
  }

  /** Sets the reply for every recipient not decided yet (a refused DATA, a 421). */
  settleRest(reply: Reply): void {
    this.#fallback ??= reply;
  }

  /**
   * The result: the MAIL reply for all when MAIL was refused, else the RCPT
   * reply of refused recipients and the end-of-data reply of accepted ones.
   *
   * @param tls The TLS parameters of the session, if any.
   * @returns The transaction result.
   */
  result(tls: ClientTlsInfo | undefined): TransactionResult {
    const accepted = this.accepted;
    const recipients = this.request.recipients.map((address, index) => {
      const rcpt = this.#rcptReplies[index];
      let reply: Reply | undefined;
      if (this.mailReply !== undefined && !this.mailAccepted) reply = this.mailReply;
      else if (rcpt !== undefined && !isPositive(rcpt)) reply = rcpt;
      else if (rcpt !== undefined) {
        reply = this.#finalReplies[this.lmtp ? accepted.indexOf(index) : 0];
      }
      reply ??= this.#fallback ?? NO_REPLY;
      return { address, reply };
    });
    const dsn = this.dsn ? { dsn: true } : {};
    return tls === undefined
      ? { kind: "transaction", recipients, ...dsn }
      : { kind: "transaction", recipients, tls, ...dsn };
  }
}

const NO_REPLY: Reply = {
  code: 451,
  enhanced: "4.4.2",
  lines: ["No reply was received for this recipient"],
};
