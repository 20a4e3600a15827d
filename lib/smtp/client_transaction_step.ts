/**
 * The transaction part of the client session (MAIL, RCPT, DATA, end of
 * data) as one pure transition function.
 *
 * @module
 */
import type { Reply } from "./reply.ts";
import { isPositive } from "./client_transaction.ts";
import { describeReply, type Phase } from "./client_phase.ts";

/** The phases of a transaction that wait for a reply. */
export type TransactionPhase = Extract<Phase, { name: "mail" | "rcpt" | "data" | "final" }>;

/** What a transaction reply leads to. */
export type TransactionStep =
  /** Send these lines (maybe none) and move to `phase`. */
  | { readonly kind: "continue"; readonly lines: readonly string[]; readonly phase: Phase }
  /** The transaction is over: report its result. */
  | { readonly kind: "done" }
  /** End the transaction with RSET, then report. */
  | { readonly kind: "rset" }
  /** A reply that makes no sense here. */
  | { readonly kind: "unexpected"; readonly reason: string };

/**
 * Records a reply in the transaction and decides the next step. Without
 * PIPELINING each command waits for the previous reply; with it (RFC 2920)
 * MAIL, the RCPTs and DATA were sent at once and replies are only matched.
 *
 * @param reply The server's reply.
 * @param phase The transaction phase that waited for it.
 * @returns The next step.
 *
 * @example
 * ```ts
 * import { ClientTransaction } from "./client_transaction.ts";
 * import { transactionStep } from "./client_transaction_step.ts";
 * const request = { reversePath: "", recipients: ["a@x.example"], size: 1, needsSmtputf8: false, eightBit: false };
 * const tx = new ClientTransaction(request, { pipelined: false, lmtp: false });
 * transactionStep({ code: 250, lines: ["Ok"] }, { name: "mail", tx }).kind; // "continue"
 * ```
 */
export function transactionStep(reply: Reply, phase: TransactionPhase): TransactionStep {
  const { tx } = phase;
  if (reply.code < 400 && !isPositive(reply) && !(phase.name === "data" && reply.code === 354)) {
    return {
      kind: "unexpected",
      reason: `Unexpected reply to ${phase.name}: ${describeReply(reply)}`,
    };
  }
  switch (phase.name) {
    case "mail": {
      tx.mailReply = reply;
      if (tx.pipelined) return { kind: "continue", lines: [], phase: { name: "rcpt", tx } };
      if (!isPositive(reply)) return { kind: "done" };
      const lines = [tx.rcptLine(0)];
      return { kind: "continue", lines, phase: { name: "rcpt", tx } };
    }
    case "rcpt":
      return afterRcpt(reply, phase);
    case "data":
      return afterData(reply, phase);
    case "final":
      tx.recordFinal(reply);
      return tx.finalComplete ? { kind: "done" } : { kind: "continue", lines: [], phase };
  }
}

function afterRcpt(reply: Reply, phase: TransactionPhase): TransactionStep {
  const { tx } = phase;
  tx.recordRcpt(reply);
  const recipients = tx.request.recipients;
  if (tx.rcptCount < recipients.length) {
    const lines = tx.pipelined ? [] : [tx.rcptLine(tx.rcptCount)];
    return { kind: "continue", lines, phase };
  }
  if (tx.pipelined) return { kind: "continue", lines: [], phase: { name: "data", tx } };
  if (tx.accepted.length > 0) {
    return { kind: "continue", lines: ["DATA"], phase: { name: "data", tx } };
  }
  return { kind: "rset" }; // no recipient: end the open transaction
}

function afterData(reply: Reply, phase: TransactionPhase): TransactionStep {
  const { tx } = phase;
  if (reply.code === 354) {
    if (tx.accepted.length > 0) return { kind: "continue", lines: [], phase: { name: "body", tx } };
    // RFC 2920 §3.1: DATA accepted without recipients; send an empty message.
    return { kind: "continue", lines: ["."], phase: { name: "flush", tx } };
  }
  if (tx.accepted.length > 0) tx.settleRest(reply);
  return tx.mailAccepted ? { kind: "rset" } : { kind: "done" };
}
