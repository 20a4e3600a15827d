/**
 * The control API's part of the audit trail: every mutating request (POST,
 * PUT, PATCH, DELETE) by a known token is recorded with the token's name and
 * the answer's status, including requests its scope refused (`403`); a request
 * without a valid token is recorded as an authentication failure. Neither
 * ever records the token or the request body.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import type { ControlVariables } from "./auth.ts";
import type { ControlAudit } from "./deps.ts";
import type { TokenIdentity } from "./tokens.ts";

/** Methods that change something. */
const MUTATING_METHODS: ReadonlySet<string> = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Options of {@linkcode auditCommands}. */
export interface AuditCommandsOptions {
  /** Where events go. */
  audit: ControlAudit;
}

/**
 * Records each mutating request as a `ControlCommand` once it is answered.
 * Mount it before `controlAuth`, so that refused requests are seen too;
 * requests without a known token are left to {@linkcode auditUnauthorized}.
 *
 * @param options The audit trail.
 * @returns The middleware.
 * @throws {TypeError} If no audit trail is given.
 *
 * @example Usage
 * ```ts
 * import { Hono } from "hono";
 * import { auditCommands } from "./command_audit.ts";
 * import { controlAuth } from "./auth.ts";
 * import { hashToken, TokenVerifier } from "./tokens.ts";
 * import assert from "node:assert/strict";
 *
 * const events: unknown[] = [];
 * const tokens = new TokenVerifier([{ name: "ops", hash: await hashToken("t"), scope: "admin" }]);
 * const app = new Hono()
 *   .use(auditCommands({ audit: { record: (event) => events.push(event) } }))
 *   .use(controlAuth({ tokens }))
 *   .post("/v1/queue/x/hold", (c) => c.json({}));
 * await app.request("/v1/queue/x/hold", { method: "POST", headers: { Authorization: "Bearer t" } });
 * assert.deepEqual(events.map((event) => JSON.stringify(event)), [
 *   '{"event":"ControlCommand","who":"ops","method":"POST","path":"/v1/queue/x/hold","status":200}',
 * ]);
 * ```
 */
export function auditCommands(
  options: AuditCommandsOptions,
): MiddlewareHandler<{ Variables: ControlVariables }> {
  if (options?.audit === undefined) {
    throw new TypeError("Cannot create the control audit: an audit trail is required");
  }
  const { audit } = options;
  return async function auditCommands(c, next) {
    await next();
    if (!MUTATING_METHODS.has(c.req.method)) return;
    const identity = c.var.identity as TokenIdentity | undefined;
    if (identity === undefined) return;
    audit.record({
      event: "ControlCommand",
      who: identity.name,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      client_ip: clientIp(c),
    });
  };
}

/**
 * The `onUnauthorized` hook of `controlAuth`: records an `AuthFailure` with
 * the method, path and client address.
 *
 * @param audit Where events go.
 * @returns The hook.
 *
 * @example Usage
 * ```ts
 * import { controlAuth } from "./auth.ts";
 * import { auditUnauthorized } from "./command_audit.ts";
 * import { TokenVerifier } from "./tokens.ts";
 *
 * const audit = { record: (event: unknown) => console.log(event) };
 * controlAuth({ tokens: new TokenVerifier([]), onUnauthorized: auditUnauthorized(audit) });
 * ```
 */
export function auditUnauthorized(audit: ControlAudit): (c: Context) => void {
  return (c) =>
    audit.record({
      event: "AuthFailure",
      source: "control",
      client_ip: clientIp(c),
      method: c.req.method,
      path: c.req.path,
    });
}

/** The client's address when served by `Deno.serve` (its handler info is Hono's `env`). */
function clientIp(c: Context): string | undefined {
  const info = c.env as { remoteAddr?: Deno.Addr } | undefined;
  const address = info?.remoteAddr;
  return address !== undefined && "hostname" in address ? address.hostname : undefined;
}
