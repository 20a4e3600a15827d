// Filtering, paging and aggregation rules shared by both queue implementations.
import { domainOf } from "./_record.ts";
import type { ListFilter, ListPage, QueuedMessage, QueueStats } from "./types.ts";

/** Page size used when `ListPage.limit` is not given. */
export const DEFAULT_PAGE_LIMIT = 100;
/** Largest accepted page size. */
export const MAX_PAGE_LIMIT = 1000;

/** Tells whether `message` matches every field of `filter`; `now` is for `olderThan`. */
export function matchesFilter(message: QueuedMessage, filter: ListFilter, now: number): boolean {
  if (filter.state !== undefined && message.state !== filter.state) return false;
  if (
    filter.sender !== undefined &&
    message.reversePath.toLowerCase() !== filter.sender.toLowerCase()
  ) return false;
  if (filter.olderThan !== undefined && message.createdAt > now - filter.olderThan) return false;
  if (filter.domain !== undefined) {
    const domain = filter.domain.toLowerCase();
    if (!message.recipients.some((r) => domainOf(r.address) === domain)) return false;
  }
  if (filter.recipient !== undefined) {
    const address = filter.recipient.toLowerCase();
    if (!message.recipients.some((r) => r.address.toLowerCase() === address)) return false;
  }
  return true;
}

/** The page size to use, clamped to 1 .. {@linkcode MAX_PAGE_LIMIT}. */
export function pageLimit(page: ListPage | undefined): number {
  const limit = page?.limit ?? DEFAULT_PAGE_LIMIT;
  if (!Number.isFinite(limit)) return DEFAULT_PAGE_LIMIT;
  return Math.min(MAX_PAGE_LIMIT, Math.max(1, Math.floor(limit)));
}

/**
 * Collects matches from messages given in id order, one past `limit` to learn
 * whether another page exists.
 */
export class PageCollector {
  readonly #filter: ListFilter;
  readonly #now: number;
  readonly #limit: number;
  readonly #matches: QueuedMessage[] = [];

  constructor(filter: ListFilter, now: number, limit: number) {
    this.#filter = filter;
    this.#now = now;
    this.#limit = limit;
  }

  /** Offers the next message; returns false once the page (plus one) is complete. */
  offer(message: QueuedMessage): boolean {
    if (matchesFilter(message, this.#filter, this.#now)) this.#matches.push(message);
    return this.#matches.length <= this.#limit;
  }

  /** The page, with a cursor if more messages matched. */
  result(): { messages: QueuedMessage[]; cursor?: string } {
    if (this.#matches.length <= this.#limit) return { messages: this.#matches };
    const messages = this.#matches.slice(0, this.#limit);
    return { messages, cursor: messages[messages.length - 1].id };
  }
}

/** An empty {@linkcode QueueStats}. */
export function emptyStats(): QueueStats {
  return { total: 0, byState: {}, byDomain: {}, bytes: 0 };
}

/** Adds one message to `stats` in place. */
export function addToStats(stats: QueueStats, message: QueuedMessage): void {
  stats.total++;
  stats.bytes += message.size;
  stats.byState[message.state] = (stats.byState[message.state] ?? 0) + 1;
  const domains = new Set(message.recipients.map((r) => domainOf(r.address)));
  for (const domain of domains) {
    if (domain !== "") stats.byDomain[domain] = (stats.byDomain[domain] ?? 0) + 1;
  }
  if (stats.oldestCreatedAt === undefined || message.createdAt < stats.oldestCreatedAt) {
    stats.oldestCreatedAt = message.createdAt;
  }
}
