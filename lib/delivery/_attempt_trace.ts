/**
 * The `delivery.attempt` span, private to lib/delivery: one per message and recipient domain
 * tried, a child of the active context, which {@linkcode MessageAttempt} sets to the context
 * stored with the message (so attempts, even after a restart, join the message's trace).
 * DNS lookups, `smtp.connect` (with `tls.handshake`) and `smtp.client.transaction` are its
 * children.
 */
import {
  ATTR,
  type Attributes,
  failSpan,
  inSpan,
  redactAddresses,
  type Span,
  type TracingOptions,
} from "../observe/mod.ts";
import type { QueuedMessage } from "../queue/mod.ts";
import type { Outcomes } from "./destination_sender.ts";

/** One message to one recipient domain. */
export interface AttemptJob {
  readonly message: QueuedMessage;
  readonly domain: string;
  readonly recipients: readonly string[];
}

/**
 * Runs `send` inside a `delivery.attempt` span and records the outcome of each recipient as a
 * `delivery.recipient` event; the span is an error when no recipient was delivered.
 *
 * @param job The message, domain and recipients.
 * @param options Whether addresses may be recorded.
 * @param send The routing and sending.
 * @returns What `send` resolves to.
 */
export function traceAttempt(
  job: AttemptJob,
  options: TracingOptions,
  send: () => Promise<Outcomes>,
): Promise<Outcomes> {
  const attributes: Attributes = {
    [ATTR.MESSAGE_ID]: job.message.id,
    [ATTR.RECIPIENT_DOMAIN]: job.domain,
    [ATTR.ATTEMPT]: job.message.attempts + 1,
    "empath.recipients": job.recipients.length,
  };
  return inSpan("delivery.attempt", { attributes }, async (span) => {
    const outcomes = await send();
    if (span.isRecording()) recordOutcomes(span, outcomes, options);
    return outcomes;
  });
}

function recordOutcomes(span: Span, outcomes: Outcomes, options: TracingOptions): void {
  const counts = { delivered: 0, deferred: 0, failed: 0 };
  let problem: string | undefined;
  for (const [address, outcome] of outcomes) {
    counts[outcome.kind]++;
    const attributes: Attributes = { "empath.outcome": outcome.kind };
    if (outcome.reply !== undefined) {
      attributes[ATTR.SMTP_REPLY_CODE] = outcome.reply.code;
      if (outcome.reply.enhanced !== undefined) {
        attributes[ATTR.SMTP_ENHANCED_CODE] = outcome.reply.enhanced;
      }
    }
    if (options.includeAddresses) attributes["empath.recipient"] = address;
    span.addEvent("delivery.recipient", attributes);
    if (outcome.kind !== "delivered") {
      problem ??= options.includeAddresses ? outcome.reason : redactAddresses(outcome.reason);
    }
  }
  span.setAttributes({
    "empath.delivered": counts.delivered,
    "empath.deferred": counts.deferred,
    "empath.failed": counts.failed,
  });
  if (counts.delivered === 0 && problem !== undefined) failSpan(span, problem);
}
