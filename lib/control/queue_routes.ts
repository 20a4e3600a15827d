/**
 * `/v1/queue`: list, inspect, stream, delete, hold, release and retry
 * messages, one at a time or by filter.
 *
 * @module
 */
import { Hono } from "hono";
import { isMessageId, type ListFilter, type QueuedMessage } from "../queue/mod.ts";
import type { ControlVariables } from "./auth.ts";
import type { ControlDeps } from "./deps.ts";
import {
  type ActionOptions,
  applyAction,
  applyBulk,
  DELETED_REASON,
  type QueueAction,
} from "./queue_actions.ts";
import { apiError } from "./_errors.ts";
import {
  bulkBodySchema,
  bulkDeleteBodySchema,
  deleteQuerySchema,
  listQuerySchema,
  messageParamSchema,
} from "./_schemas.ts";
import { validate } from "./_validate.ts";
import { explainMessage } from "./why.ts";

/** Page size of `GET /v1/queue` without `limit`. */
const DEFAULT_PAGE = 100;

/** The event each action publishes when it changes a message. */
const EVENT_OF: Partial<Record<QueueAction, "held" | "released" | "deleted">> = {
  hold: "held",
  release: "released",
  delete: "deleted",
};

/** The services the queue routes use. */
type QueueRoutesDeps = Pick<ControlDeps, "queue" | "delivery" | "now" | "events">;

/**
 * Builds the queue routes, mounted at `/v1/queue`: listing, bulk actions by filter, and reading
 * and acting on one message, registered in that order (`/stats` and the bulk paths before `/:id`).
 *
 * @param deps The queue, the delivery engine (woken after retry and release) and the clock.
 * @returns The routes.
 *
 * @example Usage
 * ```ts ignore
 * app.route("/v1/queue", createQueueRoutes(deps));
 * ```
 */
export function createQueueRoutes(deps: QueueRoutesDeps) {
  const commands = queueCommands(deps);
  return new Hono<{ Variables: ControlVariables }>()
    .route("/", listRoutes(deps))
    .route("/", bulkRoutes(deps, commands))
    .route("/", messageReadRoutes(deps))
    .route("/", messageActionRoutes(commands));
}

/**
 * What acting on queued messages involves besides the queue: `bounce` (what a deleted message had
 * not delivered), `publish` (the action's event) and `act` (one action on one message, `404` for
 * a malformed id, then publish and wake delivery).
 */
function queueCommands(deps: QueueRoutesDeps) {
  const { queue, delivery } = deps;
  const bounce = (message: QueuedMessage) => delivery.bounceUndelivered(message, DELETED_REASON);
  const publish = (action: QueueAction, id: string) => {
    const type = EVENT_OF[action];
    if (type !== undefined) deps.events.publish({ type, id, at: deps.now() });
  };
  const act = async (action: QueueAction, id: string, options: { bounce?: boolean } = {}) => {
    if (!isMessageId(id)) throw apiError(404, `No message "${id}" in the queue`);
    const result = await applyAction(queue, action, {
      id,
      now: deps.now(),
      ...(options.bounce ? { bounce } : {}),
    });
    if (result.changed && (action === "retry" || action === "release")) delivery.wake();
    if (result.changed) publish(action, id);
    return result;
  };
  return { bounce, publish, act };
}

type QueueCommands = ReturnType<typeof queueCommands>;

/** `GET /` (a page of messages, filtered) and `GET /stats`. */
function listRoutes(deps: QueueRoutesDeps) {
  const { queue } = deps;
  return new Hono<{ Variables: ControlVariables }>()
    .get("/", validate("query", listQuerySchema), async (c) => {
      const query = c.req.valid("query");
      const filter: ListFilter = {
        state: query.state,
        domain: query.domain,
        sender: query.sender,
        recipient: query.recipient,
        olderThan: query.min_age,
      };
      const page = await queue.list(filter, {
        cursor: query.cursor,
        limit: query.limit ?? DEFAULT_PAGE,
      });
      return c.json(page);
    })
    .get("/stats", async (c) => c.json(await queue.stats()));
}

/** `POST /retry`, `/hold`, `/release` and `/delete`: an action on every message a filter matches. */
function bulkRoutes(deps: QueueRoutesDeps, commands: QueueCommands) {
  const { queue, delivery } = deps;
  const { bounce, publish } = commands;
  const bulk = (action: Exclude<QueueAction, "delete">) =>
    new Hono().post("/", validate("json", bulkBodySchema), async (c) => {
      const { dry_run: dryRun, ...filter } = c.req.valid("json");
      const onChanged = (id: string) => publish(action, id);
      const result = await applyBulk(queue, action, { filter, dryRun, now: deps.now(), onChanged });
      if (result.changed > 0 && (action === "retry" || action === "release")) delivery.wake();
      return c.json(result);
    });
  return new Hono<{ Variables: ControlVariables }>()
    .route("/retry", bulk("retry"))
    .route("/hold", bulk("hold"))
    .route("/release", bulk("release"))
    .post("/delete", validate("json", bulkDeleteBodySchema), async (c) => {
      const { dry_run: dryRun, bounce: withBounce, ...filter } = c.req.valid("json");
      const options: ActionOptions = { now: deps.now(), ...(withBounce ? { bounce } : {}) };
      const onChanged = (id: string) => publish("delete", id);
      const result = await applyBulk(queue, "delete", { ...options, filter, dryRun, onChanged });
      if ((result.bounced ?? 0) > 0) delivery.wake();
      return c.json(result);
    });
}

/** `GET /:id`, `/:id/why` (why it waits) and `/:id/body` (the stored message). */
function messageReadRoutes(deps: QueueRoutesDeps) {
  const { queue, delivery } = deps;
  return new Hono<{ Variables: ControlVariables }>()
    .get("/:id", validate("param", messageParamSchema), async (c) => {
      return c.json(await findMessage(queue, c.req.valid("param").id));
    })
    .get("/:id/why", validate("param", messageParamSchema), async (c) => {
      const message = await findMessage(queue, c.req.valid("param").id);
      const now = deps.now();
      return c.json(explainMessage(message, {
        now,
        breakers: delivery.breakers.states(),
        limits: delivery.limiter.snapshot(now),
      }));
    })
    .get("/:id/body", validate("param", messageParamSchema), async (c) => {
      const { id } = c.req.valid("param");
      const message = await findMessage(queue, id);
      return c.body(queue.readBody(id), 200, {
        "Content-Type": "message/rfc822",
        "Content-Length": String(message.size),
      });
    });
}

/** `DELETE /:id` (optionally bouncing) and `POST /:id/retry`, `/:id/hold`, `/:id/release`. */
function messageActionRoutes(commands: QueueCommands) {
  const { act } = commands;
  return new Hono<{ Variables: ControlVariables }>()
    .delete(
      "/:id",
      validate("param", messageParamSchema),
      validate("query", deleteQuerySchema),
      async (c) => {
        const { id } = c.req.valid("param");
        const { bounced } = await act("delete", id, { bounce: c.req.valid("query").bounce });
        return c.json({ id, deleted: true, bounced: bounced ?? false });
      },
    )
    .post("/:id/retry", validate("param", messageParamSchema), async (c) => {
      const { message, changed } = await act("retry", c.req.valid("param").id);
      return c.json({ message, changed });
    })
    .post("/:id/hold", validate("param", messageParamSchema), async (c) => {
      const { message, changed } = await act("hold", c.req.valid("param").id);
      return c.json({ message, changed });
    })
    .post("/:id/release", validate("param", messageParamSchema), async (c) => {
      const { message, changed } = await act("release", c.req.valid("param").id);
      return c.json({ message, changed });
    });
}

/** The message `id`; `404` when the id is malformed or not in the queue. */
async function findMessage(queue: QueueRoutesDeps["queue"], id: string): Promise<QueuedMessage> {
  const message = isMessageId(id) ? await queue.get(id) : undefined;
  if (message === undefined) throw apiError(404, `No message "${id}" in the queue`);
  return message;
}
