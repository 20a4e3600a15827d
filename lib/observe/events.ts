/**
 * What happened to a message. `bounced` means a recipient failed for good; `dsn` that a
 * delivery status notification (a bounce message) was queued to the sender.
 */
export type MailEventType =
  | "received"
  | "attempt"
  | "delivered"
  | "deferred"
  | "bounced"
  | "dsn"
  | "held"
  | "released"
  | "deleted";

/**
 * One delivery event. `GET /v1/events` streams `type`, `id`, `at`, `domain`, `recipient` and
 * `detail`; the other fields are for in-process subscribers such as the audit trail.
 */
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
  /**
   * The reply or reason, for attempts; `dsn`: what the notification reports, `failed` (a
   * bounce) or `delayed` (a delay warning: the recipients are still being retried).
   */
  readonly detail?: string;
  /** `received`: the reverse path (`""` for the null sender); `dsn`: the notified sender. */
  readonly sender?: string;
  /** `received`: every recipient; `dsn`: the failed (or delayed) recipients it reports. */
  readonly recipients?: readonly string[];
  /** `received`: the message size in bytes, as the client sent it. */
  readonly size?: number;
  /** `received`: the client's IP address. */
  readonly clientIp?: string;
  /** `received`: the EHLO/HELO name. */
  readonly helo?: string;
  /** `received`: whether the session used TLS. */
  readonly tls?: boolean;
  /** `received`: the SMTP AUTH user. */
  readonly authUser?: string;
  /** `received`: the listener (or `"http"` for the control API). */
  readonly listener?: string;
  /** `delivered`, `deferred`, `bounced`: the server that answered. */
  readonly server?: string;
  /** `delivered`, `deferred`, `bounced`: how long the delivery to the domain took. */
  readonly durationMs?: number;
  /** `attempt`, `delivered`, `deferred`, `bounced`: the attempt number, from 1. */
  readonly attempt?: number;
  /** `dsn`: the queue id of the notification. */
  readonly bounceId?: string;
}

/** Which events a subscriber wants. */
export interface MailEventFilter {
  readonly id?: string;
  readonly domain?: string;
}

type Listener = (event: MailEvent) => void;

/**
 * An in-process bus for delivery events (received, attempt, delivered,
 * deferred, bounced, dsn, held, released, deleted). Publishing costs nothing when
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
