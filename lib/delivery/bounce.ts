import type { QueuedMessage, QueueStore, RecipientState } from "../queue/mod.ts";
import { getLogger } from "../observe/mod.ts";
import { concatBytes } from "../smtp/mod.ts";
import { delayedRecipient } from "./delay_warning.ts";
import { buildDsn, type Dsn, type DsnRecipient, shouldBounce } from "./dsn.ts";
import { notifies, type NotifyCondition, returnsFullMessage } from "./dsn_request.ts";

const logger = getLogger(["empath", "delivery"]);

/** Most header bytes of the original message copied into a bounce. */
const MAX_HEADER_BYTES = 64 * 1024;

/** Options of a {@link BounceSender}. */
export interface BounceOptions {
  /** This MTA's host name (Reporting-MTA, MAILER-DAEMON address). */
  readonly hostname: string;
  readonly now: () => number;
  /** Called after a bounce is queued, so the scheduler picks it up at once. */
  readonly onQueued?: (bounce: QueuedBounce) => void;
}

/** A bounce just queued. */
export interface QueuedBounce {
  /** Queue id of the bounce. */
  readonly id: string;
  /** Queue id of the message it reports on. */
  readonly original: string;
  /** The sender it goes to. */
  readonly sender: string;
  /** The recipients it reports. */
  readonly recipients: readonly string[];
  /**
   * What it reports: recipients that `failed`, a `delayed` warning (still retried), or a
   * success report (`delivered`, or `relayed` to a next hop without DSN).
   */
  readonly action: "failed" | "delayed" | "delivered" | "relayed";
}

/** A recipient just delivered, and how its success report describes it (RFC 3464 §2.3.3). */
export interface DeliveredRecipient {
  /** The recipient as recorded after the delivery. */
  readonly recipient: RecipientState;
  /** `delivered` (final delivery: Maildir, LMTP) or `relayed` (to a next hop without DSN). */
  readonly action: "delivered" | "relayed";
}

/**
 * Sends RFC 3464 delivery status notifications: builds the report for newly failed
 * recipients (or, as a delay warning, for recipients still deferred, or a success report)
 * and queues it like any message, with the null reverse path so that a bounce can never
 * cause another bounce. Nothing is sent for a message whose own sender is null (or
 * MAILER-DAEMON): that is how bounce loops are prevented. Each recipient is reported only
 * when its DSN NOTIFY asks for it (RFC 3461 §4.1; {@linkcode notifies}).
 */
export class BounceSender {
  readonly #queue: QueueStore;
  readonly #options: BounceOptions;

  constructor(queue: QueueStore, options: BounceOptions) {
    this.#queue = queue;
    this.#options = options;
  }

  /**
   * Queues a bounce to the sender of `message` for `failed` recipients.
   *
   * @param message The message that failed.
   * @param failed Its recipients to report.
   * @param reason Why, when no remote reply explains it (an operator deleted the
   *   message): reported as status 5.0.0 with `Diagnostic-Code: X-Empath; <reason>`.
   */
  async bounce(message: QueuedMessage, failed: RecipientState[], reason?: string): Promise<void> {
    const wanted = this.#wanted(message, failed, "FAILURE");
    const recipients = wanted.map((recipient) => failedRecipient(recipient, reason));
    await this.#notify(message, recipients, "failed");
  }

  /**
   * Queues a success report (RFC 3461 `NOTIFY=SUCCESS`) for `delivered` recipients of
   * `message` that asked for one; nothing for the others.
   *
   * @param message The message delivered.
   * @param delivered Its recipients just delivered, with the action to report.
   */
  async reportDelivered(
    message: QueuedMessage,
    delivered: readonly DeliveredRecipient[],
  ): Promise<void> {
    const wanted = delivered.filter(({ recipient }) => notifies(recipient, "SUCCESS"));
    if (wanted.length === 0) return;
    const recipients = wanted.map(({ recipient, action }) => deliveredRecipient(recipient, action));
    const final = recipients.some((recipient) => recipient.action === "delivered");
    await this.#notify(message, recipients, final ? "delivered" : "relayed");
  }

  /**
   * Queues a delay warning to the sender of `message`: one "delayed" DSN (RFC 3464) for its
   * `deferred` recipients, with `Will-Retry-Until` set to the message's expiry. Whether one is
   * due, and only once, is the caller's rule (`delayWarningFor`); nothing is sent to a null or
   * daemon sender either way.
   *
   * @param message The message still being retried.
   * @param deferred Its recipients to report.
   */
  async warnDelayed(message: QueuedMessage, deferred: RecipientState[]): Promise<void> {
    const wanted = this.#wanted(message, deferred, "DELAY");
    const recipients = wanted.map((recipient) => ({
      ...delayedRecipient(recipient, message.expiresAt),
      ...withOrcpt(recipient),
    }));
    await this.#notify(message, recipients, "delayed");
  }

  /**
   * Bounces the recipients of `message` not yet delivered or failed, with
   * `reason` (an operator deletes the message).
   *
   * @returns Whether a bounce was queued: not for a null or daemon sender, nor
   *   when every recipient is already done.
   */
  async bounceUndelivered(message: QueuedMessage, reason: string): Promise<boolean> {
    const undelivered = message.recipients.filter((recipient) =>
      (recipient.status === "pending" || recipient.status === "deferred") &&
      notifies(recipient, "FAILURE")
    );
    if (undelivered.length === 0 || !shouldBounce(message.reversePath)) return false;
    await this.bounce(message, undelivered, reason);
    return true;
  }

  /** The recipients whose NOTIFY asks for `condition`; the others are logged. */
  #wanted(
    message: QueuedMessage,
    recipients: readonly RecipientState[],
    condition: NotifyCondition,
  ): RecipientState[] {
    const wanted = recipients.filter((recipient) => notifies(recipient, condition));
    if (wanted.length < recipients.length) {
      logger.info("No {condition} DSN for {count} recipients of {message_id}: NOTIFY", {
        condition,
        count: recipients.length - wanted.length,
        message_id: message.id,
      });
    }
    return wanted;
  }

  /** Builds and queues the DSN of `action` for `recipients` of `message`, if its sender may get one. */
  async #notify(
    message: QueuedMessage,
    recipients: DsnRecipient[],
    action: QueuedBounce["action"],
  ): Promise<void> {
    if (recipients.length === 0) return;
    if (!shouldBounce(message.reversePath)) {
      logger.info("No {action} DSN for {message_id}: null or daemon sender", {
        action,
        message_id: message.id,
      });
      return;
    }
    const now = this.#options.now();
    const dsn = buildDsn({
      reportingMta: this.#options.hostname,
      originalEnvelope: {
        id: message.id,
        reversePath: message.reversePath,
        receivedFrom: { ip: message.receivedFrom.ip, helo: message.receivedFrom.helo },
        ...(message.dsn?.envid === undefined ? {} : { envid: message.dsn.envid }),
      },
      recipients,
      originalHeaders: await this.#headers(message.id),
      ...await this.#wholeMessage(message, action === "failed"),
      arrivalDate: message.createdAt,
      now,
      messageId: `<${message.id}.${now}@${this.#options.hostname}>`,
      boundary: `=_${message.id}_${now.toString(36)}`,
    });
    await this.#enqueue(message, dsn, {
      action,
      recipients: recipients.map((recipient) => recipient.address),
    });
  }

  /** Queues `dsn`, the notification of `message` about `report`, in the message's trace. */
  async #enqueue(
    message: QueuedMessage,
    dsn: Dsn,
    report: Pick<QueuedBounce, "action" | "recipients">,
  ): Promise<void> {
    const spool = this.#queue.createSpool();
    try {
      await spool.write(new TextEncoder().encode(dsn.body));
      const queued = await spool.commit({
        reversePath: "",
        recipients: [dsn.recipient],
        receivedFrom: { ip: "127.0.0.1", helo: this.#options.hostname, listener: "bounce" },
        ...(dsn.eightBit ? { mailParams: { body: "8BITMIME" } } : {}),
        // The bounce's delivery joins the trace of the message it reports on.
        traceContext: message.traceContext,
      });
      logger.info("Bounce {bounce} ({action}) queued for {message_id}", {
        bounce: queued.id,
        action: report.action,
        message_id: message.id,
      });
      this.#options.onQueued?.({
        id: queued.id,
        original: message.id,
        sender: message.reversePath,
        ...report,
      });
    } catch (error) {
      await spool.abort();
      throw error;
    }
  }

  /**
   * `{ originalMessage }` for a failure report of a `RET=FULL` message of at most
   * `MAX_RETURNED_MESSAGE_BYTES` that is text (UTF-8); otherwise nothing (headers only).
   */
  async #wholeMessage(
    message: QueuedMessage,
    failure: boolean,
  ): Promise<{ originalMessage?: string }> {
    if (!returnsFullMessage(message, failure)) return {};
    const chunks: Uint8Array[] = [];
    for await (const chunk of this.#queue.readBody(message.id)) chunks.push(chunk);
    try {
      const decoder = new TextDecoder("utf-8", { fatal: true });
      return { originalMessage: decoder.decode(concatBytes(chunks)) };
    } catch {
      return {}; // not UTF-8: the headers only
    }
  }

  /** The original message's header block, read from the queue (bounded). */
  async #headers(id: string): Promise<string> {
    const decoder = new TextDecoder();
    let text = "";
    for await (const chunk of this.#queue.readBody(id)) {
      text += decoder.decode(chunk, { stream: true });
      const end = text.indexOf("\r\n\r\n");
      if (end >= 0) return text.slice(0, end + 2);
      if (text.length >= MAX_HEADER_BYTES) break;
    }
    return text.slice(0, MAX_HEADER_BYTES);
  }
}

/** `{ originalRecipient }` when the recipient came with an ORCPT. */
function withOrcpt(recipient: RecipientState): Pick<DsnRecipient, "originalRecipient"> {
  return recipient.orcpt === undefined ? {} : { originalRecipient: recipient.orcpt };
}

/** How a delivered recipient is reported: a `2.x.x` status and the reply that confirmed it. */
function deliveredRecipient(
  recipient: RecipientState,
  action: DeliveredRecipient["action"],
): DsnRecipient {
  const reply = recipient.lastReply;
  return {
    ...withOrcpt(recipient),
    address: recipient.address,
    action,
    status: reply?.enhanced?.startsWith("2") ? reply.enhanced : "2.0.0",
    diagnostic: reply
      ? { code: reply.code, enhanced: reply.enhanced, lines: [reply.text] }
      : undefined,
    lastAttemptAt: reply?.at,
  };
}

/** How a failed recipient is reported: with `reason` (status 5.0.0), else with its last reply. */
function failedRecipient(recipient: RecipientState, reason: string | undefined): DsnRecipient {
  if (reason !== undefined) {
    return {
      ...withOrcpt(recipient),
      address: recipient.address,
      action: "failed",
      status: "5.0.0",
      reason,
    };
  }
  const reply = recipient.lastReply;
  return {
    ...withOrcpt(recipient),
    address: recipient.address,
    action: "failed",
    status: reply?.enhanced?.startsWith("5") ? reply.enhanced : "5.0.0",
    diagnostic: reply
      ? { code: reply.code, enhanced: reply.enhanced, lines: [reply.text] }
      : undefined,
    lastAttemptAt: reply?.at,
  };
}
