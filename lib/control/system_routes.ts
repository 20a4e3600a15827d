/**
 * `/v1/system`: version, uptime and delivery counters, open SMTP connections,
 * and the running configuration without its secrets.
 *
 * @module
 */
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
  deps: Pick<ControlDeps, "version" | "startedAt" | "now" | "delivery" | "connections" | "config">,
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
    .get("/config", (c) => c.json(deps.config() as Record<string, unknown>));
}
