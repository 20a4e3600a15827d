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
}

/**
 * Applies one action to one message.
 *
 * @param queue The queue.
 * @param action What to do.
 * @param options `id` of the message and `now`, the current time.
 * @returns The message after the action (`undefined` after `delete`), and whether it changed.
 * @throws {HTTPException} 404 if there is no such message, 409 if it is being delivered
 * (hold, retry) or held (retry), or if it keeps changing under us.
 */
export async function applyAction(
  queue: ControlQueue,
  action: QueueAction,
  options: { id: string; now: number },
): Promise<{ message?: QueuedMessage; changed: boolean }> {
  const { id, now } = options;
  if (action === "delete") {
    if (!(await queue.delete(id))) throw notFound(id);
    return { changed: true };
  }
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
  options: { filter: ListFilter; dryRun: boolean; now: number },
): Promise<BulkResult> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await queue.list(options.filter, { cursor, limit: BULK_PAGE });
    for (const message of page.messages) ids.push(message.id);
    cursor = page.cursor;
  } while (cursor !== undefined);
  let changed = 0;
  if (!options.dryRun) {
    for (const id of ids) {
      try {
        if ((await applyAction(queue, action, { id, now: options.now })).changed) changed++;
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
  };
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
