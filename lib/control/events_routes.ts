/**
 * `/v1/events`: delivery events (received, attempt, delivered, deferred,
 * bounced, dsn, held, released, deleted) as Server-Sent Events, filtered by
 * message id or recipient domain. Only the fields meant for clients are sent.
 *
 * @module
 */
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { MailEvent } from "../observe/mod.ts";
import type { ControlVariables } from "./auth.ts";
import type { ControlDeps } from "./deps.ts";
import { eventsQuerySchema } from "./_schemas.ts";
import { validate } from "./_validate.ts";

/** Most events buffered for one slow client before the oldest are dropped. */
const MAX_BUFFERED = 1000;
/** A comment line this often keeps proxies from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

/**
 * The fields a client sees. The others (sender, every recipient, client
 * address, HELO, AUTH user…) are for in-process subscribers such as the
 * audit trail, which redacts them; the stream does not send them.
 */
function streamed(event: MailEvent): Partial<MailEvent> {
  const { type, id, at, domain, recipient, detail } = event;
  return { type, id, at, domain, recipient, detail };
}

/**
 * Builds the events route, mounted at `/v1/events`.
 *
 * @param deps The event bus.
 * @returns The routes.
 *
 * @example Usage
 * ```ts ignore
 * app.route("/v1/events", createEventRoutes(deps));
 * ```
 */
export function createEventRoutes(deps: Pick<ControlDeps, "events">) {
  return new Hono<{ Variables: ControlVariables }>()
    .get("/", validate("query", eventsQuerySchema), (c) => {
      const filter = c.req.valid("query");
      return streamSSE(c, async (stream) => {
        const pending: MailEvent[] = [];
        let wake: (() => void) | undefined;
        const unsubscribe = deps.events.subscribe((event) => {
          if (pending.length >= MAX_BUFFERED) pending.shift();
          pending.push(event);
          wake?.();
        }, { id: filter.id, domain: filter.domain });
        stream.onAbort(() => {
          unsubscribe();
          wake?.();
        });
        await stream.writeSSE({ event: "ready", data: "{}" });
        while (!stream.aborted) {
          const event = pending.shift();
          if (event !== undefined) {
            await stream.writeSSE({
              event: event.type,
              id: `${event.at}`,
              data: JSON.stringify(streamed(event)),
            });
            continue;
          }
          let timer: ReturnType<typeof setTimeout> | undefined;
          await new Promise<void>((resolve) => {
            wake = resolve;
            timer = setTimeout(resolve, KEEPALIVE_MS);
          });
          clearTimeout(timer);
          wake = undefined;
          if (pending.length === 0 && !stream.aborted) await stream.write(": keep-alive\n\n");
        }
        unsubscribe();
      });
    });
}
