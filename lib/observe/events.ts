/** What happened to a message. */
export type MailEventType =
  | "received"
  | "attempt"
  | "delivered"
  | "deferred"
  | "bounced"
  | "held"
  | "released"
  | "deleted";

/** One delivery event, as the control API streams it. */
export interface MailEvent {
  readonly type: MailEventType;
  /** Queue id of the message. */
  readonly id: string;
  /** When it happened, in milliseconds. */
  readonly at: number;
  /** Recipient domain, for per-recipient events. */
  readonly domain?: string;
  /** The recipient, for per-recipient events. */
  readonly recipient?: string;
  /** The reply or reason, for attempts. */
  readonly detail?: string;
}

/** Which events a subscriber wants. */
export interface MailEventFilter {
  readonly id?: string;
  readonly domain?: string;
}

type Listener = (event: MailEvent) => void;

/**
 * An in-process bus for delivery events (received, attempt, delivered,
 * deferred, bounced, held, released, deleted). Publishing costs nothing when
 * nobody listens; a listener that throws is removed rather than breaking the
 * publisher. The control API streams it as Server-Sent Events.
 *
 * @example
 * ```ts
 * import { MailEvents } from "./events.ts";
 * const events = new MailEvents();
 * const stop = events.subscribe((event) => console.log(event.type), { domain: "example.org" });
 * events.publish({ type: "delivered", id: "x", at: 0, domain: "example.org" });
 * stop();
 * ```
 */
export class MailEvents {
  readonly #listeners = new Set<{ listener: Listener; filter: MailEventFilter }>();

  /** Number of subscribers. */
  get subscribers(): number {
    return this.#listeners.size;
  }

  /** Sends `event` to every subscriber whose filter matches. */
  publish(event: MailEvent): void {
    for (const entry of this.#listeners) {
      if (!matches(event, entry.filter)) continue;
      try {
        entry.listener(event);
      } catch {
        this.#listeners.delete(entry);
      }
    }
  }

  /** Subscribes; returns the function that unsubscribes. */
  subscribe(listener: Listener, filter: MailEventFilter = {}): () => void {
    const entry = { listener, filter };
    this.#listeners.add(entry);
    return () => this.#listeners.delete(entry);
  }
}

function matches(event: MailEvent, filter: MailEventFilter): boolean {
  if (filter.id !== undefined && event.id !== filter.id) return false;
  if (filter.domain !== undefined && event.domain?.toLowerCase() !== filter.domain.toLowerCase()) {
    return false;
  }
  return true;
}
