/**
 * `/healthz` and `/readyz`, without authentication: liveness, and whether the
 * instance takes mail (the queue answers and it is not shutting down).
 *
 * @module
 */
import { Hono } from "hono";
import type { ControlDeps } from "./deps.ts";

/**
 * Builds the health routes, mounted at `/`.
 *
 * @param deps The queue and the shutdown state.
 * @returns The routes.
 *
 * @example Usage
 * ```ts ignore
 * app.route("/", createHealthRoutes(deps));
 * ```
 */
export function createHealthRoutes(deps: Pick<ControlDeps, "queue" | "shuttingDown">) {
  return new Hono()
    .get("/healthz", (c) => c.json({ status: "ok" }))
    .get("/readyz", async (c) => {
      // A load balancer should send no new mail here once a shutdown began.
      if (deps.shuttingDown?.()) return c.json({ status: "shutting-down" }, 503);
      try {
        await deps.queue.count();
        return c.json({ status: "ready" });
      } catch {
        return c.json({ status: "unavailable" }, 503);
      }
    });
}
