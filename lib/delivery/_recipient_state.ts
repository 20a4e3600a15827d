// What one delivery attempt's outcome makes of a recipient's stored state.
import type { QueuedMessage, RecipientState } from "../queue/mod.ts";
import type { Reply } from "../smtp/mod.ts";
import type { DeliveryOutcome } from "./classify.ts";

/**
 * The state of `recipient` after one attempt's `result`: delivered, failed or deferred until
 * `retryAt` with the reply that decided it (a local one when no server answered), or only
 * rescheduled when it was postponed (not tried).
 */
export function applyResult(
  recipient: RecipientState,
  result: DeliveryOutcome | { kind: "postponed"; until: number; reason: string },
  now: number,
  retryAt: number,
): RecipientState {
  if (result.kind === "postponed") return { ...recipient, nextAttemptAt: result.until };
  const lastReply = result.reply === undefined
    ? localReply(result, now)
    : storedReply(result.reply, now);
  const attempts = recipient.attempts + 1;
  switch (result.kind) {
    case "delivered":
      return { ...recipient, status: "delivered", attempts, lastReply, nextAttemptAt: undefined };
    case "failed":
      return { ...recipient, status: "failed", attempts, lastReply, nextAttemptAt: undefined };
    case "deferred":
      return { ...recipient, status: "deferred", attempts, lastReply, nextAttemptAt: retryAt };
  }
}

function storedReply(reply: Reply, at: number) {
  return { code: reply.code, enhanced: reply.enhanced, text: reply.lines.join(" "), at };
}

function localReply(result: { kind: string; reason?: string }, at: number) {
  const code = result.kind === "failed" ? 550 : 451;
  return { code, enhanced: code === 550 ? "5.0.0" : "4.0.0", text: result.reason ?? "", at };
}

/** The reply that fails the recipients of an expired message, quoting its last reply. */
export function expiredReply(message: QueuedMessage): Reply {
  const last = message.recipients.find((r) => r.lastReply)?.lastReply;
  const detail = last
    ? `; last reply: ${[last.code, last.enhanced, last.text].filter(Boolean).join(" ")}`
    : "";
  return { code: 554, enhanced: "5.4.7", lines: [`Delivery time expired${detail}`] };
}
