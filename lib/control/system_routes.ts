/**
 * `/v1/system`: version, uptime and delivery counters, open SMTP connections,
 * and the running configuration without its secrets.
 *
 * @module
 */
import { apiError } from "./_errors.ts";
import { logLevelBodySchema } from "./_schemas.ts";
import { validate } from "./_validate.ts";
import { Hono } from "hono";
import type { ControlVariables } from "./auth.ts";
import type { ControlDeps } from "./deps.ts";

/**
 * Builds the system routes, mounted at `/v1/system`.
 *
 * @param deps Version, start time, clock, delivery engine, connections and configuration.
 * @returns The routes.
 *
 * @example Usage
 * ```ts ignore
 * app.route("/v1/system", createSystemRoutes(deps));
 * ```
 */
export function createSystemRoutes(
  deps: Pick<
    ControlDeps,
    "version" | "startedAt" | "now" | "delivery" | "connections" | "config" | "logging"
  >,
) {
  return new Hono<{ Variables: ControlVariables }>()
    .get("/", (c) =>
      c.json({
        version: deps.version,
        startedAt: new Date(deps.startedAt).toISOString(),
        uptimeMs: Math.max(0, deps.now() - deps.startedAt),
        delivery: {
          inFlight: deps.delivery.inFlight,
          pool: deps.delivery.poolStats(),
          hosts: deps.delivery.hosts(),
        },
      }))
    .get("/connections", (c) => c.json({ connections: deps.connections() }))
    .get("/config", (c) => c.json(deps.config() as Record<string, unknown>))
    .get("/log-level", (c) => {
      const levels = deps.logging?.levels();
      if (levels === undefined) throw apiError(409, "Logging is not set up in this process");
      return c.json(levels);
    })
    .put("/log-level", validate("json", logLevelBodySchema), async (c) => {
      const { category, level } = c.req.valid("json");
      if (deps.logging?.levels() === undefined) {
        throw apiError(409, "Logging is not set up in this process");
      }
      await deps.logging.set(category === undefined ? ["empath"] : category.split("."), level);
      return c.json(deps.logging.levels());
    });
}
