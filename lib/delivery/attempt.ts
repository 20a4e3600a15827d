import type { QueuedMessage, QueueStore, RecipientState } from "../queue/mod.ts";
import {
  type DeliveryMetrics,
  getLogger,
  inContext,
  type MailEvents,
  storedContext,
  type TracingOptions,
} from "../observe/mod.ts";
import { traceAttempt } from "./_attempt_trace.ts";
import type { CircuitBreakers } from "./circuit_breaker.ts";
import type { DeliveryOutcome } from "./classify.ts";
import type { RateLimiter } from "./rate_limiter.ts";
import { nextAttemptAt } from "./retry.ts";
import type { RouteResolver } from "./route.ts";
import type { BounceSender, DeliveredRecipient } from "./bounce.ts";
import { delayWarningFor } from "./delay_warning.ts";
import { applyResult, expiredReply } from "./_recipient_state.ts";
import type { DestinationSender, Outcome, Outcomes } from "./destination_sender.ts";

const logger = getLogger(["empath", "delivery"]);

/** The collaborators of one delivery attempt. */
export interface AttemptServices {
  readonly queue: QueueStore;
  readonly routes: RouteResolver;
  readonly sender: DestinationSender;
  readonly traffic: { readonly limiter: RateLimiter; readonly breakers: CircuitBreakers };
  readonly bounces: BounceSender;
}

/** Time, randomness and the retry schedule, as inputs. */
export interface AttemptPolicy {
  readonly retrySchedule: readonly number[];
  readonly now: () => number;
  readonly random: () => number;
  /** Where per-recipient outcomes are published, if anywhere. */
  readonly events?: MailEvents;
  /** Where retries, delivery latency and rate limiting are counted, if anywhere. */
  readonly metrics?: DeliveryMetrics;
  /**
   * Aborted when delivery is interrupted by a shutdown: recipients not
   * confirmed yet are released (due again at once, no attempt counted) instead
   * of deferred, and confirmed ones are recorded as usual.
   */
  readonly interrupted?: AbortSignal;
  /** What spans may record (`[observe.tracing]`). @default {{ includeAddresses: false }} */
  readonly tracing?: () => TracingOptions;
  /**
   * Told what an attempt decided for each recipient it tried (delivered, deferred, failed),
   * with the message as leased, before the record is updated (for `onDeliveryResult` hooks).
   * Awaited; a failure is logged and does not change the delivery.
   */
  readonly onResults?: (message: QueuedMessage, results: RecipientResult[]) => Promise<void>;
  /**
   * `[queue] delay_warning` in milliseconds, read at each attempt (so a reload applies): after
   * this long the sender gets one "delayed" DSN for the recipients still deferred. @default {0}
   */
  readonly delayWarning?: () => number;
}

/** The outcome of one recipient in one attempt, as {@linkcode AttemptPolicy.onResults} gets it. */
export interface RecipientResult {
  readonly recipient: string;
  readonly status: "delivered" | "deferred" | "failed";
  /** The reply that decided it (the receiving server's, or a local reason). */
  readonly reply?: { readonly code: number; readonly enhanced?: string; readonly text: string };
  /** The recipient's attempt number, from 1. */
  readonly attempt: number;
}

/** One recipient's result of this attempt; `postponed` means "not tried now" (rescheduled). */
type RecipientOutcome = TimedOutcome | { kind: "postponed"; until: number; reason: string };

/** Per-recipient result of this attempt. */
type Results = Map<string, RecipientOutcome>;

/** An outcome with how long the delivery to its domain took (for the audit trail). */
type TimedOutcome = Outcome & { readonly durationMs?: number };

/**
 * One delivery attempt of one leased message: groups its open recipients by
 * domain, passes each group through the circuit breaker and rate limiter,
 * resolves the destination and delivers; then records every recipient's
 * outcome, bounces newly failed recipients to the sender (RFC 3464), and
 * either deletes the message (all recipients final) or reschedules it, warning
 * the sender once with a "delayed" DSN when `delayWarning` has passed.
 */
export class MessageAttempt {
  readonly #services: AttemptServices;
  readonly #policy: AttemptPolicy;

  constructor(services: AttemptServices, policy: AttemptPolicy) {
    this.#services = services;
    this.#policy = policy;
  }

  /**
   * Runs the attempt for a leased message, in the trace context stored with it: its
   * `delivery.attempt` spans are children of the span that committed it, and its log lines
   * carry that trace id.
   */
  run(message: QueuedMessage): Promise<void> {
    return inContext(storedContext(message.traceContext), () => this.#run(message));
  }

  async #run(message: QueuedMessage): Promise<void> {
    const open = message.recipients.filter((r) =>
      r.status === "pending" || r.status === "deferred"
    );
    const results: Results = new Map();
    for (const [domain, recipients] of groupByDomain(open)) {
      for (const [address, outcome] of await this.#deliverDomain(message, domain, recipients)) {
        results.set(address, outcome);
      }
    }
    await this.#record(message, results);
  }

  async #deliverDomain(
    message: QueuedMessage,
    domain: string,
    recipients: string[],
  ): Promise<Results> {
    const now = this.#policy.now();
    const held = this.#heldBack(message, domain, now);
    if (held !== undefined) return new Map(recipients.map((address) => [address, held]));
    this.#policy.events?.publish({
      type: "attempt",
      id: message.id,
      at: now,
      domain,
      attempt: message.attempts + 1,
    });
    this.#policy.metrics?.attemptStarted(domain, message.attempts > 0);
    const tracing = this.#policy.tracing?.() ?? { includeAddresses: false };
    const sent = await traceAttempt({ message, domain, recipients }, tracing, async () => {
      let destination = await this.#services.routes.resolve(domain);
      // A "no such domain" (NXDOMAIN) bounces only once a second attempt confirms it: a
      // resolver that briefly answers NXDOMAIN (a zone being re-published) costs one retry.
      if (
        destination.kind === "failed" && destination.reply.enhanced === "5.1.2" &&
        message.attempts < 1
      ) {
        destination = { kind: "deferred", reason: destination.reason };
      }
      return await this.#services.sender.send(destination, message, recipients, domain);
    });
    const outcomes = withDuration(sent, this.#policy.now() - now);
    if (this.#policy.interrupted?.aborted) return releaseUnconfirmed(outcomes, this.#policy.now());
    this.#services.traffic.breakers.record(domain, breakerOutcome([...outcomes.values()]));
    return outcomes;
  }

  /**
   * Why `domain` is not tried in this attempt, for all its recipients: the message expired,
   * delivery is being interrupted, the domain's circuit is open or its rate limit is reached.
   * Undefined when it may be tried (a rate limit token is taken then).
   */
  #heldBack(message: QueuedMessage, domain: string, now: number): RecipientOutcome | undefined {
    if (now >= message.expiresAt) {
      return { kind: "failed", reason: "Delivery time expired", reply: expiredReply(message) };
    }
    if (this.#policy.interrupted?.aborted) return interruptedResult(now);
    const { limiter, breakers } = this.#services.traffic;
    const breaker = breakers.allow(domain);
    if (!breaker.allowed) {
      return { kind: "postponed", until: breaker.retryAt, reason: `Circuit open for ${domain}` };
    }
    const rate = limiter.take(domain);
    if (!rate.allowed) {
      this.#policy.metrics?.rateLimited(domain, rate.retryAfterMs);
      const until = now + rate.retryAfterMs;
      return { kind: "postponed", until, reason: `Rate limit for ${domain}` };
    }
    return undefined;
  }

  #publish(id: string, recipient: RecipientState, result: ResultFacts, at: number): void {
    const events = this.#policy.events;
    if (events === undefined || result.kind === "postponed") return;
    const type = recipient.status === "delivered"
      ? "delivered"
      : recipient.status === "failed"
      ? "bounced"
      : "deferred";
    const reply = recipient.lastReply;
    events.publish({
      type,
      id,
      at,
      recipient: recipient.address,
      domain: recipient.address.slice(recipient.address.lastIndexOf("@") + 1),
      detail: reply ? `${reply.code} ${reply.text}` : undefined,
      server: result.server,
      durationMs: result.durationMs,
      attempt: recipient.attempts,
    });
  }

  async #report(message: QueuedMessage, results: RecipientResult[]): Promise<void> {
    try {
      await this.#policy.onResults?.(message, results);
    } catch (error) {
      logger.error("Cannot report the results of message {message_id}: {error}", {
        message_id: message.id,
        error,
      });
    }
  }

  async #record(message: QueuedMessage, results: Results): Promise<void> {
    const now = this.#policy.now();
    // Waiting for a token, an open breaker or the end of a shutdown is not an attempt: it neither
    // shows as one nor moves the retry schedule on.
    const tried = [...results.values()].some((result) => result.kind !== "postponed");
    const attempts = tried ? message.attempts + 1 : message.attempts;
    const retryAt = nextAttemptAt({
      attempts: message.attempts + 1,
      now,
      schedule: [...this.#policy.retrySchedule],
      random: this.#policy.random,
    });
    const { recipients, newlyFailed, delivered, reported } = this.#apply(
      message,
      results,
      now,
      retryAt,
    );
    if (reported.length > 0) await this.#report(message, reported);
    if (newlyFailed.length > 0) await this.#services.bounces.bounce(message, newlyFailed);
    if (delivered.length > 0) await this.#services.bounces.reportDelivered(message, delivered);
    const open = recipients.filter((r) => r.status === "pending" || r.status === "deferred");
    if (open.length === 0) {
      await this.#services.queue.delete(message.id);
      return;
    }
    const nextAt = Math.min(...open.map((r) => r.nextAttemptAt ?? retryAt));
    const warnAfterMs = this.#policy.delayWarning?.() ?? 0;
    const delayed = delayWarningFor({ message, recipients, now, warnAfterMs });
    const updated: QueuedMessage = {
      ...message,
      recipients,
      attempts,
      nextAttemptAt: nextAt,
      lease: undefined,
      ...(delayed.length > 0 ? { delayWarnedAt: now } : {}),
    };
    if (!await this.#services.queue.update(updated)) {
      logger.warn("Message {message_id} changed during delivery; its lease will expire", {
        message_id: message.id,
      });
      return;
    }
    if (delayed.length > 0) await this.#warnDelayed(updated, delayed);
  }

  /** Applies this attempt's results to the recipients of `message`, logging and publishing each. */
  #apply(message: QueuedMessage, results: Results, now: number, retryAt: number) {
    const newlyFailed: RecipientState[] = [];
    const delivered: DeliveredRecipient[] = [];
    const reported: RecipientResult[] = [];
    const recipients = message.recipients.map((recipient) => {
      const result = results.get(recipient.address);
      if (result === undefined) return recipient;
      const next = applyResult(recipient, result, now, retryAt);
      if (next.status === "failed") newlyFailed.push(next);
      if (result.kind === "delivered") {
        this.#policy.metrics?.recipientDelivered(message.createdAt, now);
        // A success DSN, if NOTIFY asks for one (RFC 3461 §6.2.2); none after a DSN hand-off.
        if (result.successAction) delivered.push({ recipient: next, action: result.successAction });
      }
      logResult(message.id, next, result);
      this.#publish(message.id, next, result, now);
      if (result.kind !== "postponed") reported.push(recipientResult(next));
      return next;
    });
    return { recipients, newlyFailed, delivered, reported };
  }

  /**
   * Sends the delay warning once the record says it was sent, so that it goes at most once
   * (a crash or a restart in between never sends a second). A failure is logged.
   */
  async #warnDelayed(message: QueuedMessage, deferred: RecipientState[]): Promise<void> {
    try {
      await this.#services.bounces.warnDelayed(message, deferred);
    } catch (error) {
      logger.error("Cannot send the delay warning of message {message_id}: {error}", {
        message_id: message.id,
        error,
      });
    }
  }
}

/** A recorded recipient as {@linkcode AttemptPolicy.onResults} gets it. */
function recipientResult(recipient: RecipientState): RecipientResult {
  const reply = recipient.lastReply;
  return {
    recipient: recipient.address,
    status: recipient.status === "pending" ? "deferred" : recipient.status,
    ...(reply ? { reply: { code: reply.code, enhanced: reply.enhanced, text: reply.text } } : {}),
    attempt: recipient.attempts,
  };
}

/** What {@linkcode MessageAttempt} publishes about a result besides the recipient's state. */
interface ResultFacts {
  readonly kind: string;
  readonly server?: string;
  readonly durationMs?: number;
}

function withDuration(outcomes: Outcomes, durationMs: number): Map<string, TimedOutcome> {
  return new Map([...outcomes].map(([address, outcome]) => [address, { ...outcome, durationMs }]));
}

/** How a recipient not tried, or not confirmed, because of a shutdown is recorded. */
function interruptedResult(now: number) {
  return { kind: "postponed", until: now, reason: "Interrupted by shutdown" } as const;
}

/**
 * After an interruption, keeps the replies the receiving server gave (2xx and
 * 5xx are final for it) and releases every other recipient: a `deferred`
 * outcome then most likely means the connection was cut, not a 4xx.
 */
function releaseUnconfirmed(outcomes: Map<string, DeliveryOutcome>, now: number): Results {
  const results: Results = new Map();
  for (const [address, outcome] of outcomes) {
    results.set(address, outcome.kind === "deferred" ? interruptedResult(now) : outcome);
  }
  return results;
}

function breakerOutcome(outcomes: DeliveryOutcome[]) {
  if (outcomes.some((o) => o.kind === "delivered")) return "success" as const;
  if (outcomes.some((o) => o.kind === "deferred")) return "temporary-failure" as const;
  return "permanent-failure" as const;
}

function groupByDomain(recipients: RecipientState[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const { address } of recipients) {
    const domain = address.slice(address.lastIndexOf("@") + 1).toLowerCase();
    groups.set(domain, [...(groups.get(domain) ?? []), address]);
  }
  return groups;
}

function logResult(id: string, recipient: RecipientState, result: { kind: string }) {
  if (result.kind === "postponed") return;
  logger.info("Message {message_id} to {domain}: {status}", {
    message_id: id,
    domain: recipient.address.slice(recipient.address.lastIndexOf("@") + 1),
    status: recipient.status,
    smtp_code: recipient.lastReply?.code,
    reply: recipient.lastReply?.text,
    attempt: recipient.attempts,
  });
}
