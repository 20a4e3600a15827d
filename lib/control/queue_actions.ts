/**
 * Operator actions on queued messages (hold, release, retry, delete), each an
 * optimistic read-modify-write retried on conflict, and their bulk form over a
 * filter. The queue stays the only source of truth.
 *
 * @module
 */
import type { ListFilter, QueuedMessage } from "../queue/mod.ts";
import type { ControlQueue } from "./deps.ts";
import { apiError } from "./_errors.ts";

/** Times an update is tried when other writers keep changing the record. */
const MAX_UPDATE_TRIES = 5;

/** Ids shown in a bulk answer. */
const SAMPLE_SIZE = 10;

/** Page size used when a bulk action walks the queue. */
const BULK_PAGE = 500;

/** The actions on one message. */
export type QueueAction = "hold" | "release" | "retry" | "delete";

/** Why an operator-deleted message is bounced, in the DSN. */
export const DELETED_REASON = "Deleted from the queue by the postmaster";

/** Options of {@linkcode applyAction} and {@linkcode applyBulk}. */
export interface ActionOptions {
  /** The current time, in milliseconds. */
  now: number;
  /**
   * For `delete`: bounce the undelivered recipients to the sender first;
   * resolves whether a bounce was queued.
   */
  bounce?: (message: QueuedMessage) => Promise<boolean>;
}

/** The answer of {@linkcode applyBulk}. */
export interface BulkResult {
  /** Messages that matched the filter. */
  matched: number;
  /** Up to 10 of their ids, in queue order. */
  sample: string[];
  /** False for a dry run. */
  applied: boolean;
  /** Messages changed (skipped ones were in delivery, gone, or already in that state). */
  changed: number;
  /** For a delete with bounces: the bounces queued. */
  bounced?: number;
}

/**
 * Applies one action to one message.
 *
 * @param queue The queue.
 * @param action What to do.
 * @param options `id` of the message, `now`, the current time, and for `delete` the bounce.
 * @returns The message after the action (`undefined` after `delete`), whether it
 * changed, and after a `delete` with `bounce` whether a bounce was queued.
 * @throws {HTTPException} 404 if there is no such message, 409 if it is being delivered
 * (hold, retry, delete with bounce) or held (retry), or if it keeps changing under us.
 */
export async function applyAction(
  queue: ControlQueue,
  action: QueueAction,
  options: ActionOptions & { id: string },
): Promise<{ message?: QueuedMessage; changed: boolean; bounced?: boolean }> {
  const { id, now } = options;
  if (action === "delete") return await deleteMessage(queue, id, options);
  for (let attempt = 0; attempt < MAX_UPDATE_TRIES; attempt++) {
    const message = await queue.get(id);
    if (message === undefined) throw notFound(id);
    const next = changeFor(action, message, now);
    if (next === undefined) return { message, changed: false };
    if (await queue.update(next)) {
      return { message: { ...next, revision: next.revision + 1 }, changed: true };
    }
  }
  throw apiError(409, `Message "${id}" kept changing: try again`);
}

/**
 * Applies one action to every message matching a filter, or with `dryRun`
 * only counts them. Messages that cannot take the action now are skipped.
 *
 * @param queue The queue.
 * @param action What to do.
 * @param options The filter, `dryRun` and the current time.
 * @returns What matched and what changed.
 */
export async function applyBulk(
  queue: ControlQueue,
  action: QueueAction,
  options: ActionOptions & {
    filter: ListFilter;
    dryRun: boolean;
    /** Told of each message the action changed. */
    onChanged?: (id: string) => void;
  },
): Promise<BulkResult> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await queue.list(options.filter, { cursor, limit: BULK_PAGE });
    for (const message of page.messages) ids.push(message.id);
    cursor = page.cursor;
  } while (cursor !== undefined);
  let changed = 0;
  let bounced = 0;
  if (!options.dryRun) {
    for (const id of ids) {
      try {
        const result = await applyAction(queue, action, { ...options, id });
        if (result.changed) {
          changed++;
          options.onChanged?.(id);
        }
        if (result.bounced) bounced++;
      } catch (error) {
        if (!isSkippable(error)) throw error;
      }
    }
  }
  return {
    matched: ids.length,
    sample: ids.slice(0, SAMPLE_SIZE),
    applied: !options.dryRun,
    changed,
    ...(options.bounce === undefined ? {} : { bounced }),
  };
}

/**
 * Deletes one message; with `bounce`, first bounces its undelivered recipients
 * (refused while it is in delivery, whose outcome the bounce would contradict;
 * held meanwhile so no worker starts one). The bounce is queued before the delete: a crash between the two leaves the
 * message, never a deletion nobody was told about.
 */
async function deleteMessage(
  queue: ControlQueue,
  id: string,
  options: ActionOptions,
): Promise<{ changed: boolean; bounced?: boolean }> {
  if (options.bounce === undefined) {
    if (!(await queue.delete(id))) throw notFound(id);
    return { changed: true };
  }
  // Hold it first (a revision-checked update), so no worker leases it while the bounce is queued.
  let message: QueuedMessage | undefined;
  for (let attempt = 0; attempt < MAX_UPDATE_TRIES && message === undefined; attempt++) {
    const current = await queue.get(id);
    if (current === undefined) throw notFound(id);
    if (current.lease !== undefined && current.lease.until > options.now) throw inDelivery(id);
    const held = { ...current, state: "held" as const };
    if (current.state === "held" || await queue.update(held)) message = current;
  }
  if (message === undefined) throw apiError(409, `Message "${id}" kept changing: try again`);
  const bounced = await options.bounce(message);
  if (!(await queue.delete(id))) throw notFound(id);
  return { changed: true, bounced };
}

/** The changed record, or `undefined` if the action has nothing to do. */
function changeFor(
  action: Exclude<QueueAction, "delete">,
  message: QueuedMessage,
  now: number,
): QueuedMessage | undefined {
  const isLeased = message.lease !== undefined && message.lease.until > now;
  switch (action) {
    case "hold":
      if (message.state === "held") return undefined;
      if (isLeased) throw inDelivery(message.id);
      return { ...message, state: "held" };
    case "release":
      if (message.state === "queued") return undefined;
      return { ...message, state: "queued" };
    case "retry": {
      if (message.state === "held") {
        throw apiError(409, `Message "${message.id}" is held: release it first`);
      }
      if (isLeased) throw inDelivery(message.id);
      const recipients = message.recipients.map((recipient) =>
        recipient.status === "deferred" ? { ...recipient, nextAttemptAt: now } : recipient
      );
      return { ...message, recipients, nextAttemptAt: Math.min(message.nextAttemptAt, now) };
    }
    default: {
      const unknown: never = action;
      throw new TypeError(`Unknown queue action "${unknown}"`);
    }
  }
}

function notFound(id: string) {
  return apiError(404, `No message "${id}" in the queue`);
}

function inDelivery(id: string) {
  return apiError(409, `Message "${id}" is being delivered: try again when the attempt ends`);
}

function isSkippable(error: unknown): boolean {
  return error instanceof Error && "status" in error &&
    (error.status === 404 || error.status === 409);
}

/**
 * After a rate limit changed: makes the recipients at `domain` that only waited for the old limit
 * (still `pending`, never tried, due later) due now, so a raised limit takes effect at once. A
 * recipient deferred by a real attempt keeps its retry schedule; a message in delivery is left
 * alone.
 *
 * @returns How many messages were made due.
 */
export async function releaseWaiting(
  queue: ControlQueue,
  domain: string,
  now: number,
): Promise<number> {
  const suffix = `@${domain.toLowerCase()}`;
  const waiting = (recipient: QueuedMessage["recipients"][number]) =>
    recipient.status === "pending" && (recipient.nextAttemptAt ?? 0) > now &&
    recipient.address.toLowerCase().endsWith(suffix);
  let released = 0;
  let cursor: string | undefined;
  do {
    const page = await queue.list({ domain, state: "queued" }, { cursor, limit: BULK_PAGE });
    for (const listed of page.messages) {
      for (let attempt = 0; attempt < MAX_UPDATE_TRIES; attempt++) {
        const message = await queue.get(listed.id);
        if (message === undefined || message.state !== "queued") break;
        if (message.lease !== undefined && message.lease.until > now) break;
        if (!message.recipients.some(waiting)) break;
        const recipients = message.recipients.map((recipient) =>
          waiting(recipient) ? { ...recipient, nextAttemptAt: now } : recipient
        );
        const next = {
          ...message,
          recipients,
          nextAttemptAt: Math.min(message.nextAttemptAt, now),
        };
        if (await queue.update(next)) {
          released++;
          break;
        }
      }
    }
    cursor = page.cursor;
  } while (cursor !== undefined);
  return released;
}
