/**
 * The control API as a Hono app: bearer-token auth on `/v1/*` and `/metrics`, a body size
 * limit, one route group per resource, and one error handler that renders
 * `{ error: { code, message } }`.
 *
 * @module
 */
import { createConfigRoutes } from "./config_routes.ts";
import { createEventRoutes } from "./events_routes.ts";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { controlAuth, type ControlVariables } from "./auth.ts";
import { auditCommands, auditUnauthorized } from "./command_audit.ts";
import type { ControlDeps } from "./deps.ts";
import { createDeliveryRoutes } from "./delivery_routes.ts";
import { createDnsRoutes } from "./dns_routes.ts";
import { createHealthRoutes } from "./health_routes.ts";
import { createMessageRoutes } from "./messages_routes.ts";
import { createMetricsRoutes } from "./metrics_routes.ts";
import { openApiDocument } from "./openapi.ts";
import { createQueueRoutes } from "./queue_routes.ts";
import { createSystemRoutes } from "./system_routes.ts";
import { apiError, renderError } from "./_errors.ts";

/**
 * Builds the control API over the daemon's services. The app holds no state;
 * serve it with `Deno.serve({ hostname, port }, app.fetch)` or call
 * `app.request()` in tests.
 *
 * @param deps The services, the token verifier and the body limit.
 * @returns The Hono app.
 *
 * @example Usage
 * ```ts ignore
 * const { verifier } = await openTokenVerifier(config.control);
 * const app = createControlApp({ ...services, tokens: verifier, maxBody: config.control.maxBody });
 * Deno.serve({ hostname: "127.0.0.1", port: 8025 }, app.fetch);
 * ```
 */
export function createControlApp(deps: ControlDeps) {
  const app = new Hono<{ Variables: ControlVariables }>();
  app.onError(renderError);
  app.notFound(() => {
    throw apiError(404, "No such route");
  });
  const { audit } = deps;
  const auth = controlAuth({
    tokens: deps.tokens,
    metrics: deps.metrics,
    onUnauthorized: audit && auditUnauthorized(audit),
  });
  // Before auth, so that requests it refuses with 403 are audited too.
  if (audit !== undefined) app.use("/v1/*", auditCommands({ audit }));
  app.use("/v1/*", auth);
  app.use("/metrics", auth);
  const limit = bodyLimit({
    maxSize: deps.maxBody,
    onError: () => {
      throw apiError(413, `Request body is larger than ${deps.maxBody} bytes`);
    },
  });
  // `/v1/messages` has its own limit, from `maxMessageSize`.
  app.use("/v1/*", (c, next) => c.req.path === "/v1/messages" ? next() : limit(c, next));
  const routes = app
    .route("/", createHealthRoutes(deps))
    .route("/", createMetricsRoutes(deps))
    .get(
      "/v1/openapi.json",
      (c) => c.json(openApiDocument(deps.version) as Record<string, unknown>),
    )
    .route("/v1/queue", createQueueRoutes(deps))
    .route("/v1/messages", createMessageRoutes(deps))
    .route("/v1/delivery", createDeliveryRoutes(deps))
    .route("/v1/dns", createDnsRoutes(deps))
    .route("/v1/system", createSystemRoutes(deps))
    .route("/v1/events", createEventRoutes(deps))
    .route("/v1/config", createConfigRoutes(deps));
  return routes;
}

/** The control API's type, for Hono's typed client `hc<ControlApp>()`. */
export type ControlApp = ReturnType<typeof createControlApp>;
