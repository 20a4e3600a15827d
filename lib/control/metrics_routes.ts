/**
 * `/metrics`: every metric in the Prometheus text exposition format, for a
 * scraper holding a control token (any scope that may GET: `read` or `admin`).
 *
 * @module
 */
import { Hono } from "hono";
import { PROMETHEUS_CONTENT_TYPE } from "../observe/mod.ts";
import type { ControlVariables } from "./auth.ts";
import type { ControlDeps } from "./deps.ts";
import { apiError } from "./_errors.ts";

/**
 * Builds the metrics route, mounted at `/`. The text is serialized on each
 * request; nothing is cached here.
 *
 * @param deps The metrics.
 * @returns The routes.
 *
 * @example Usage
 * ```ts ignore
 * app.route("/", createMetricsRoutes(deps));
 * ```
 */
export function createMetricsRoutes(deps: Pick<ControlDeps, "metrics">) {
  return new Hono<{ Variables: ControlVariables }>()
    .get("/metrics", async (c) => {
      if (deps.metrics === undefined) throw apiError(404, "Metrics are not enabled");
      const text = await deps.metrics.scrape();
      return c.body(text, 200, { "Content-Type": PROMETHEUS_CONTENT_TYPE });
    });
}
