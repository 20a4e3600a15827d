/**
 * `/v1/delivery`: wake the scheduler, per-domain rate limits, circuit breakers, the cached
 * MTA-STS policies and SMTP TLS Reporting.
 *
 * @module
 */
import { Hono } from "hono";
import type { CachedPolicy } from "../mta_sts/mod.ts";
import type { ControlVariables } from "./auth.ts";
import type { ControlDeps } from "./deps.ts";
import { breakerParamSchema, domainParamSchema, rateLimitBodySchema } from "./_schemas.ts";
import { validate } from "./_validate.ts";
import { apiError } from "./_errors.ts";
import { releaseWaiting } from "./queue_actions.ts";

/**
 * Builds the delivery routes, mounted at `/v1/delivery`. Rate limits set here
 * last until the next start; `DELETE` returns a domain to the default limit.
 *
 * @param deps The delivery engine.
 * @returns The routes.
 *
 * @example Usage
 * ```ts ignore
 * app.route("/v1/delivery", createDeliveryRoutes(deps));
 * ```
 */
export function createDeliveryRoutes(
  deps: Pick<ControlDeps, "delivery" | "queue" | "now" | "tlsRpt">,
) {
  const { delivery } = deps;
  /** Mail that waited for the old limit is due again at once; the answer says how much. */
  const limitChanged = async (domain: string) => {
    const released = await releaseWaiting(deps.queue, domain, deps.now());
    if (released > 0) delivery.wake();
    return released;
  };
  return new Hono<{ Variables: ControlVariables }>()
    .post("/process", (c) => {
      delivery.wake();
      return c.json({ woken: true }, 202);
    })
    .get("/rate-limits", (c) => {
      return c.json({ ...delivery.limiter.limits(), buckets: delivery.limiter.snapshot() });
    })
    .put(
      "/rate-limits/:domain",
      validate("param", domainParamSchema),
      validate("json", rateLimitBodySchema),
      async (c) => {
        const { domain } = c.req.valid("param");
        const { rate, burst } = c.req.valid("json");
        delivery.limiter.setLimit(domain, { ratePerSecond: rate, burst });
        const released = await limitChanged(domain);
        return c.json({ domain, ratePerSecond: rate, burst, released });
      },
    )
    .delete("/rate-limits/:domain", validate("param", domainParamSchema), async (c) => {
      const { domain } = c.req.valid("param");
      delivery.limiter.setLimit(domain, undefined);
      const released = await limitChanged(domain);
      return c.json({ domain, ...delivery.limiter.limits().defaults, released });
    })
    .get("/breakers", (c) => c.json({ breakers: delivery.breakers.states() }))
    .post("/breakers/:key/reset", validate("param", breakerParamSchema), (c) => {
      const { key } = c.req.valid("param");
      delivery.breakers.reset(key);
      return c.json({ key, state: "closed" });
    })
    .get("/mta-sts", (c) => {
      const policies = delivery.mtaStsPolicies?.() ?? [];
      return c.json({ policies: policies.map(policySummary) });
    })
    .route("/", tlsRptRoutes(deps));
}

/** `GET /tls-rpt` (the counts not yet reported) and `POST /tls-rpt/send` (report now). */
function tlsRptRoutes(deps: Pick<ControlDeps, "tlsRpt">) {
  return new Hono<{ Variables: ControlVariables }>()
    .get("/tls-rpt", async (c) => {
      if (deps.tlsRpt === undefined) return c.json({ enabled: false, periods: [], pending: [] });
      return c.json(await deps.tlsRpt.snapshot());
    })
    .post("/tls-rpt/send", async (c) => {
      if (!deps.tlsRpt?.enabled) {
        throw apiError(409, "TLS reporting is disabled: [delivery.tls_rpt] enabled = false");
      }
      return c.json(await deps.tlsRpt.send());
    });
}

/** A cached MTA-STS policy as `GET /v1/delivery/mta-sts` lists it. */
function policySummary(entry: CachedPolicy) {
  return {
    domain: entry.domain,
    id: entry.id,
    mode: entry.policy.mode,
    mx: entry.policy.mx,
    maxAge: entry.policy.maxAge,
    fetchedAt: entry.fetchedAt,
    expiresAt: entry.expiresAt,
  };
}
