/**
 * `/healthz` and `/readyz`, without authentication: liveness, and whether the
 * queue answers.
 *
 * @module
 */
import { Hono } from "hono";
import type { ControlDeps } from "./deps.ts";

/**
 * Builds the health routes, mounted at `/`.
 *
 * @param deps The queue.
 * @returns The routes.
 *
 * @example Usage
 * ```ts ignore
 * app.route("/", createHealthRoutes(deps));
 * ```
 */
export function createHealthRoutes(deps: Pick<ControlDeps, "queue">) {
  return new Hono()
    .get("/healthz", (c) => c.json({ status: "ok" }))
    .get("/readyz", async (c) => {
      try {
        await deps.queue.count();
        return c.json({ status: "ready" });
      } catch {
        return c.json({ status: "unavailable" }, 503);
      }
    });
}
