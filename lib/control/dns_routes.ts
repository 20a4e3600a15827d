/**
 * `/v1/dns`: the DNS cache's counters and entries, and flushing it.
 *
 * @module
 */
import { Hono } from "hono";
import type { ControlVariables } from "./auth.ts";
import type { ControlDeps } from "./deps.ts";
import { domainParamSchema } from "./_schemas.ts";
import { validate } from "./_validate.ts";

/**
 * Builds the DNS routes, mounted at `/v1/dns`.
 *
 * @param deps The DNS cache.
 * @returns The routes.
 *
 * @example Usage
 * ```ts ignore
 * app.route("/v1/dns", createDnsRoutes(deps));
 * ```
 */
export function createDnsRoutes(deps: Pick<ControlDeps, "dns">) {
  const { dns } = deps;
  return new Hono<{ Variables: ControlVariables }>()
    .get("/cache", (c) => c.json({ stats: dns.stats(), entries: dns.entries() }))
    .delete("/cache", (c) => c.json({ removed: dns.flush() }))
    .delete("/cache/:domain", validate("param", domainParamSchema), (c) => {
      const { domain } = c.req.valid("param");
      return c.json({ domain, removed: dns.flush(domain) });
    });
}
