/**
 * The control API: a Hono app over the daemon's services (queue, delivery
 * engine, DNS cache, connections), with hashed bearer tokens and an OpenAPI
 * document. It holds no state of its own.
 *
 * @example Usage
 * ```ts ignore
 * import { createControlApp, openTokenVerifier } from "./mod.ts";
 *
 * const { verifier } = await openTokenVerifier(config.control);
 * const app = createControlApp({ ...services, tokens: verifier, maxBody: config.control.maxBody });
 * Deno.serve({ hostname: "127.0.0.1", port: 8025 }, app.fetch);
 * ```
 *
 * @module
 */
export { type ControlApp, createControlApp } from "./app.ts";
export { controlAuth, type ControlAuthOptions, type ControlVariables } from "./auth.ts";
export { auditCommands, type AuditCommandsOptions, auditUnauthorized } from "./command_audit.ts";
export type {
  ControlAudit,
  ControlDelivery,
  ControlDeps,
  ControlMetrics,
  ControlQueue,
  ControlTokens,
} from "./deps.ts";
export { openApiDocument } from "./openapi.ts";
export {
  ensureTokenFile,
  hashToken,
  newToken,
  openTokenVerifier,
  TOKEN_FILE_NAME,
  type TokenIdentity,
  TokenVerifier,
} from "./tokens.ts";
export * from "./why.ts";
