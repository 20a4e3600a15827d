/**
 * Why a queued message is not delivered yet, in one sentence and as fields:
 * the answer behind `GET /v1/queue/:id/why`.
 *
 * @module
 */
import { formatRate } from "../config/mod.ts";
import type { CircuitSnapshot, RateBucketSnapshot } from "../delivery/mod.ts";
import type { QueuedMessage, StoredReply } from "../queue/mod.ts";

/** The reason a message is waiting. */
export type WaitReason =
  | "held"
  | "in-flight"
  | "breaker-open"
  | "rate-limited"
  | "tls-policy"
  | "waiting-retry"
  | "due";

/** The explanation of one message's wait. */
export interface WaitExplanation {
  readonly reason: WaitReason;
  /** One sentence for an operator. */
  readonly sentence: string;
  /** The destination domain the reason is about, if any. */
  readonly domain?: string;
  /** When the next attempt is due, in milliseconds. */
  readonly nextAttemptAt?: number;
  /** The last reply that decided the wait, if any. */
  readonly lastReply?: StoredReply;
}

/** Delivery state the explanation looks at. */
export interface DeliveryView {
  readonly now: number;
  readonly breakers: readonly CircuitSnapshot[];
  readonly limits: readonly RateBucketSnapshot[];
}

/**
 * Explains why `message` is still in the queue, checking in order: held by an
 * operator, leased and in delivery, circuit breaker open for one of its
 * domains, rate limit exhausted, TLS policy unmet (last reply), waiting for its
 * next attempt after a temporary failure, or simply due now.
 *
 * @example
 * ```ts
 * import { explainMessage } from "./why.ts";
 * const why = explainMessage(
 *   { state: "held", recipients: [], nextAttemptAt: 0 } as never,
 *   { now: 0, breakers: [], limits: [] },
 * );
 * console.log(why.reason); // "held"
 * ```
 */
export function explainMessage(message: QueuedMessage, view: DeliveryView): WaitExplanation {
  const at = (ms: number) => new Date(ms).toISOString();
  if (message.state === "held") {
    return { reason: "held", sentence: "Held by an operator; release it to deliver it." };
  }
  if (message.lease !== undefined && message.lease.until > view.now) {
    return {
      reason: "in-flight",
      sentence: `Being delivered now (leased until ${at(message.lease.until)}).`,
      nextAttemptAt: message.lease.until,
    };
  }
  const open = message.recipients.filter((r) => r.status === "pending" || r.status === "deferred");
  const domains = [...new Set(open.map((r) => r.address.slice(r.address.lastIndexOf("@") + 1)))];
  const breaker = view.breakers.find((b) => b.state === "open" && domains.includes(b.key));
  if (breaker !== undefined) {
    return {
      reason: "breaker-open",
      domain: breaker.key,
      sentence: `The circuit breaker for ${breaker.key} is open after repeated temporary ` +
        `failures; delivery resumes with a probe when it half-opens.`,
      nextAttemptAt: message.nextAttemptAt,
    };
  }
  const limited = view.limits.find((l) => l.tokens < 1 && domains.includes(l.key));
  if (limited !== undefined && message.nextAttemptAt > view.now) {
    return {
      reason: "rate-limited",
      domain: limited.key,
      sentence: `Rate limited: ${limited.key} allows ${formatRate(limited.ratePerSecond)} (burst ` +
        `${limited.burst}); next attempt at ${at(message.nextAttemptAt)}.`,
      nextAttemptAt: message.nextAttemptAt,
    };
  }
  return waitingOrDue(message, open, view.now);
}

function waitingOrDue(
  message: QueuedMessage,
  open: QueuedMessage["recipients"],
  now: number,
): WaitExplanation {
  const last = open.map((r) => r.lastReply).filter((r) => r !== undefined)
    .sort((a, b) => b.at - a.at)[0];
  if (message.nextAttemptAt <= now) {
    return { reason: "due", sentence: "Due now; the scheduler picks it up next.", lastReply: last };
  }
  const when = new Date(message.nextAttemptAt).toISOString();
  const reply = last === undefined ? "" : ` after "${last.code} ${last.text}"`;
  if (last !== undefined && /\btls\b|starttls|mta-sts/i.test(last.text)) {
    // lib/delivery's stsDeferral(): "MTA-STS policy of <domain> not met (TLS policy unmet): …"
    const sts = /mta-sts/i.test(last.text)
      ? ": the recipient domain's MTA-STS policy needs verified TLS to a listed MX host"
      : "";
    return {
      reason: "tls-policy",
      sentence: `TLS policy unmet${sts}${reply}; next attempt at ${when}.`,
      nextAttemptAt: message.nextAttemptAt,
      lastReply: last,
    };
  }
  return {
    reason: "waiting-retry",
    sentence: `Waiting for the next attempt at ${when}${reply}.`,
    nextAttemptAt: message.nextAttemptAt,
    lastReply: last,
  };
}
