/**
 * Bearer-token authentication for the control API, in the shape of Hono's
 * `bearerAuth`: options checked at creation, a named middleware function.
 *
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import type { ControlAuthMetrics } from "../observe/mod.ts";
import type { ControlTokens } from "./deps.ts";
import type { TokenIdentity } from "./tokens.ts";
import { apiError } from "./_errors.ts";

/** Methods a `read` token may use. */
const READ_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD"]);

const BEARER_REGEXP = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i;

/** The one route an `inject` token may use. */
const INJECT_PATH = "/v1/messages";

/** The same text for a missing, malformed or unknown token. */
const UNAUTHORIZED_MESSAGE = "A valid bearer token is required";

/** Variables the auth middleware sets on the Hono context. */
export interface ControlVariables {
  /** Who made the request. */
  identity: TokenIdentity;
}

/** Options of {@linkcode controlAuth}. */
export interface ControlAuthOptions {
  /** Checks tokens. */
  tokens: ControlTokens;
  /** Counts refused requests (`empath_control_auth_failures_total`). */
  metrics?: ControlAuthMetrics;
  /** Told of each request refused with `401` (for the audit trail); must not record the token. */
  onUnauthorized?: (c: Context) => void;
}

/**
 * Requires `Authorization: Bearer <token>`. A missing, malformed or unknown
 * token gets the same `401` (the token is hashed and compared either way); a
 * `read` token on anything but GET/HEAD, or an `inject` token on anything but
 * `POST /v1/messages`, gets `403`.
 *
 * @param options The token verifier.
 * @returns The middleware; it sets `identity` on the context.
 * @throws {TypeError} If no verifier is given.
 *
 * @example Usage
 * ```ts
 * import { Hono } from "hono";
 * import { controlAuth } from "./auth.ts";
 * import { hashToken, TokenVerifier } from "./tokens.ts";
 * import assert from "node:assert/strict";
 *
 * const tokens = new TokenVerifier([{ name: "ops", hash: await hashToken("t"), scope: "read" }]);
 * const app = new Hono().use(controlAuth({ tokens })).get("/", (c) => c.text("ok"));
 * const res = await app.request("/", { headers: { Authorization: "Bearer t" } });
 * assert.equal(res.status, 200);
 * ```
 */
export function controlAuth(
  options: ControlAuthOptions,
): MiddlewareHandler<{ Variables: ControlVariables }> {
  if (options?.tokens === undefined) {
    throw new TypeError("Cannot create control auth: a token verifier is required");
  }
  const { tokens } = options;
  return async function controlAuth(c, next) {
    const match = BEARER_REGEXP.exec(c.req.header("Authorization") ?? "");
    const identity = await tokens.verify(match?.[1]);
    if (identity === undefined) {
      options.metrics?.authFailed();
      options.onUnauthorized?.(c);
      throw apiError(401, UNAUTHORIZED_MESSAGE);
    }
    // Set before the scope check, so that the audit trail names who was refused.
    c.set("identity", identity);
    const denied = forbidden(identity, c.req.method, c.req.path);
    if (denied !== undefined) throw apiError(403, denied);
    await next();
  };
}

/** Why `identity` may not make this request, or `undefined` if it may. */
function forbidden(identity: TokenIdentity, method: string, path: string): string | undefined {
  switch (identity.scope) {
    case "admin":
      return undefined;
    case "read":
      return READ_METHODS.has(method)
        ? undefined
        : `Token "${identity.name}" has scope "read": it may only use GET`;
    case "inject":
      return method === "POST" && path.replace(/\/+$/, "") === INJECT_PATH
        ? undefined
        : `Token "${identity.name}" has scope "inject": it may only use POST ${INJECT_PATH}`;
  }
}
