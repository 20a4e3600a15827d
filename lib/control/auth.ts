/**
 * Bearer-token authentication for the control API, in the shape of Hono's
 * `bearerAuth`: options checked at creation, a named middleware function.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import type { ControlTokens } from "./deps.ts";
import type { TokenIdentity } from "./tokens.ts";
import { apiError } from "./_errors.ts";

/** Methods a `read` token may use. */
const READ_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD"]);

const BEARER_REGEXP = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i;

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
}

/**
 * Requires `Authorization: Bearer <token>`. A missing, malformed or unknown
 * token gets the same `401` (the token is hashed and compared either way); a
 * `read` token on anything but GET/HEAD gets `403`.
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
    if (identity === undefined) throw apiError(401, UNAUTHORIZED_MESSAGE);
    if (identity.scope !== "admin" && !READ_METHODS.has(c.req.method)) {
      throw apiError(403, `Token "${identity.name}" has scope "read": it may only use GET`);
    }
    c.set("identity", identity);
    await next();
  };
}
