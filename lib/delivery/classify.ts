/**
 * Classifying the result of a delivery attempt: a remote reply or a thrown
 * error becomes a {@link DeliveryOutcome}, the value the queue records.
 *
 * @module
 */
import { type Reply, SmtpReplyError } from "../smtp/mod.ts";

/**
 * What happened to one recipient in one delivery attempt.
 *
 * - `delivered`: the receiving server accepted responsibility (2xx).
 * - `deferred`: try again later (4xx, network or DNS trouble, anything unexpected).
 * - `failed`: give up and bounce (5xx).
 *
 * @example
 * ```ts
 * import type { DeliveryOutcome } from "./classify.ts";
 * const outcome: DeliveryOutcome = { kind: "deferred", reason: "Connection refused" };
 * ```
 */
export type DeliveryOutcome =
  | { kind: "delivered"; reply: Reply }
  | { kind: "deferred"; reply?: Reply; reason: string }
  | { kind: "failed"; reply?: Reply; reason: string };

const ENHANCED_REGEXP = /^([245])\.(\d{1,3})\.(\d{1,3})$/;
const LINE_BREAKS_REGEXP = /[\r\n]+/g;
const MAX_REASON_LENGTH = 300;

/**
 * Classifies a final reply to RCPT, DATA or BDAT.
 *
 * The basic reply code decides (RFC 5321 §4.2.1: the first digit is the
 * authority; RFC 3463 §2 asks the enhanced class to agree but a server may
 * disagree): 2xx is `delivered`, 4xx `deferred`, 5xx `failed`, so a `550` with
 * enhanced `4.2.2` still fails and a `451` with `5.7.1` is still deferred.
 * One enhanced code changes the verdict: RFC 5321 §4.5.3.1.10 says a `552`
 * for "too many recipients" (enhanced `5.5.3`) is temporary, so it is
 * deferred. 1xx, 3xx and out-of-range codes are protocol errors and are
 * deferred.
 *
 * @param reply The reply from the receiving server.
 * @returns The outcome; deferred and failed outcomes carry the reply.
 *
 * @example
 * ```ts
 * import { classifyReply } from "./classify.ts";
 * import assert from "node:assert/strict";
 * assert.equal(classifyReply({ code: 250, enhanced: "2.0.0", lines: ["Ok"] }).kind, "delivered");
 * assert.equal(classifyReply({ code: 451, enhanced: "4.7.1", lines: ["Later"] }).kind, "deferred");
 * assert.equal(classifyReply({ code: 550, enhanced: "5.1.1", lines: ["No such user"] }).kind, "failed");
 * ```
 */
export function classifyReply(reply: Reply): DeliveryOutcome {
  const { code } = reply;
  const reason = describeReply(reply);
  if (!Number.isInteger(code) || code < 200 || code > 599) {
    return { kind: "deferred", reply, reason: `Unexpected reply: ${reason}` };
  }
  const digit = Math.floor(code / 100);
  if (digit === 2) return { kind: "delivered", reply };
  if (digit === 5 && !(code === 552 && reply.enhanced === "5.5.3")) {
    return { kind: "failed", reply, reason };
  }
  if (digit === 3) return { kind: "deferred", reply, reason: `Unexpected reply: ${reason}` };
  return { kind: "deferred", reply, reason };
}

/**
 * Classifies an error thrown during an attempt (connection refused, timeout,
 * DNS failure, TLS failure, a bug): always retryable, so `deferred`, the
 * delivery boundary mapper of the style guide. An `SmtpReplyError` is
 * classified by its reply, except that a 2xx reply inside an error is
 * deferred, as the attempt did not complete.
 *
 * @param error Whatever was thrown.
 * @returns A `deferred` or (for an `SmtpReplyError` with a 5xx reply) `failed` outcome.
 *
 * @example
 * ```ts
 * import { classifyError } from "./classify.ts";
 * import assert from "node:assert/strict";
 * const outcome = classifyError(new Deno.errors.ConnectionRefused("connect ECONNREFUSED"));
 * assert.deepEqual(outcome, { kind: "deferred", reason: "ConnectionRefused: connect ECONNREFUSED" });
 * ```
 */
export function classifyError(error: unknown): DeliveryOutcome {
  if (error instanceof SmtpReplyError) {
    const outcome = classifyReply(error.reply);
    if (outcome.kind !== "delivered") return outcome;
    return { kind: "deferred", reply: error.reply, reason: truncate(error.message) };
  }
  if (error instanceof Error) {
    return { kind: "deferred", reason: truncate(`${error.name}: ${error.message}`) };
  }
  return { kind: "deferred", reason: truncate(`Unknown error: ${String(error)}`) };
}

/**
 * The RFC 3463 status to report for an outcome in a DSN: the reply's
 * enhanced code when its class agrees with the outcome, otherwise the
 * generic `2.0.0`, `4.0.0` or `5.0.0`.
 *
 * @param outcome A classified outcome.
 * @returns A status such as `"5.1.1"`.
 *
 * @example
 * ```ts
 * import { outcomeStatus } from "./classify.ts";
 * import assert from "node:assert/strict";
 * const reply = { code: 550, enhanced: "5.1.1", lines: ["No such user"] };
 * assert.equal(outcomeStatus({ kind: "failed", reply, reason: "550" }), "5.1.1");
 * assert.equal(outcomeStatus({ kind: "deferred", reason: "Connection refused" }), "4.0.0");
 * ```
 */
export function outcomeStatus(outcome: DeliveryOutcome): string {
  const wanted = outcome.kind === "delivered" ? "2" : outcome.kind === "deferred" ? "4" : "5";
  const match = ENHANCED_REGEXP.exec(outcome.reply?.enhanced ?? "");
  return match !== null && match[1] === wanted ? match[0] : `${wanted}.0.0`;
}

function describeReply(reply: Reply): string {
  const enhanced = reply.enhanced === undefined ? "" : ` ${reply.enhanced}`;
  return truncate(`${reply.code}${enhanced} ${reply.lines.join(" ")}`.trimEnd());
}

function truncate(text: string): string {
  const flat = text.replace(LINE_BREAKS_REGEXP, " ");
  return flat.length <= MAX_REASON_LENGTH ? flat : `${flat.slice(0, MAX_REASON_LENGTH - 3)}...`;
}
