/**
 * Delay warnings (`[queue] delay_warning`, Postfix `delay_warning_time`): when a message has
 * waited long enough, its sender gets one "delayed" DSN (RFC 3464 §2.3.3) listing the recipients
 * still deferred. Pure rules; `MessageAttempt` applies them and `BounceSender` sends the DSN.
 *
 * @module
 */
import type { QueuedMessage, RecipientState } from "../queue/mod.ts";
import { outcomeStatus } from "./classify.ts";
import { type DsnRecipient, shouldBounce } from "./dsn.ts";
import { notifies } from "./dsn_request.ts";
import { shouldWarnDelay } from "./retry.ts";

/** Options of {@linkcode delayWarningFor}. */
export interface DelayWarningCheck {
  /** The message: its sender, times and whether its sender was warned already. */
  readonly message: Pick<
    QueuedMessage,
    "reversePath" | "createdAt" | "expiresAt" | "delayWarnedAt"
  >;
  /** Its recipients as this attempt leaves them. */
  readonly recipients: readonly RecipientState[];
  /** The current time in milliseconds. */
  readonly now: number;
  /** `[queue] delay_warning` in milliseconds; `0` turns warnings off. */
  readonly warnAfterMs: number;
}

/**
 * The recipients a "delayed" DSN lists now, or none when no warning is due: once per message
 * (`delayWarnedAt` is set after the first), after `warnAfterMs`, before the message expires,
 * never to a sender that may not get a DSN ({@linkcode shouldBounce}: the null sender, so a
 * bounce or a warning is never warned about), and only for recipients still deferred whose
 * DSN NOTIFY asks for delays (absent, or a list with DELAY: RFC 3461 §4.1).
 *
 * @param check The message, its recipients after this attempt, the time and the setting.
 * @returns The deferred recipients to list; empty when no warning is due.
 *
 * @example
 * ```ts
 * import { delayWarningFor } from "./delay_warning.ts";
 * import assert from "node:assert/strict";
 * const message = { reversePath: "alice@example.test", createdAt: 0, expiresAt: 86_400_000 };
 * const recipients = [
 *   { address: "bob@example.org", status: "deferred" as const, attempts: 3 },
 *   { address: "carol@example.org", status: "delivered" as const, attempts: 1 },
 * ];
 * const due = delayWarningFor({ message, recipients, now: 14_400_000, warnAfterMs: 14_400_000 });
 * assert.deepEqual(due.map((r) => r.address), ["bob@example.org"]);
 * const warned = { ...message, delayWarnedAt: 14_400_000 };
 * assert.deepEqual(
 *   delayWarningFor({ message: warned, recipients, now: 20_000_000, warnAfterMs: 14_400_000 }),
 *   [],
 * );
 * ```
 */
export function delayWarningFor(check: DelayWarningCheck): RecipientState[] {
  const { message, recipients, now, warnAfterMs } = check;
  if (!shouldBounce(message.reversePath)) return [];
  const due = shouldWarnDelay({
    createdAt: message.createdAt,
    expiresAt: message.expiresAt,
    now,
    warnAfterMs,
    warned: message.delayWarnedAt !== undefined,
  });
  return due ? recipients.filter((r) => r.status === "deferred" && notifies(r, "DELAY")) : [];
}

/**
 * How a deferred recipient is reported in a delay warning: `Action: delayed`, the `4.x.x`
 * status of its last reply (`4.0.0` when that has none), the reply as `Diagnostic-Code`, and
 * `Will-Retry-Until` (RFC 3464 §2.3.7).
 *
 * @param recipient A deferred recipient.
 * @param willRetryUntil When the message expires, in milliseconds.
 * @returns The recipient as the DSN reports it.
 *
 * @example
 * ```ts
 * import { delayedRecipient } from "./delay_warning.ts";
 * import assert from "node:assert/strict";
 * const reported = delayedRecipient({
 *   address: "bob@example.org",
 *   status: "deferred",
 *   attempts: 2,
 *   lastReply: { code: 451, enhanced: "4.7.1", text: "Greylisted", at: 60_000 },
 * }, 432_000_000);
 * assert.equal(reported.action, "delayed");
 * assert.equal(reported.status, "4.7.1");
 * assert.equal(reported.willRetryUntil, 432_000_000);
 * ```
 */
export function delayedRecipient(recipient: RecipientState, willRetryUntil: number): DsnRecipient {
  const reply = recipient.lastReply;
  const diagnostic = reply && { code: reply.code, enhanced: reply.enhanced, lines: [reply.text] };
  return {
    address: recipient.address,
    action: "delayed",
    status: outcomeStatus({ kind: "deferred", reason: "", reply: diagnostic }),
    diagnostic,
    lastAttemptAt: reply?.at,
    willRetryUntil,
  };
}
