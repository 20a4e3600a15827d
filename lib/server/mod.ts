/**
 * The SMTP transport: listeners, one connection driver per socket (timeouts,
 * STARTTLS upgrade that drops buffered plaintext, connection caps), relay
 * policy, SMTP AUTH and TLS contexts. The protocol itself lives in `lib/smtp`.
 *
 * @module
 */
export * from "./auth.ts";
export * from "./connection.ts";
export * from "./connection_types.ts";
export * from "./limits.ts";
export * from "./listener.ts";
export * from "./policy.ts";
export * from "./timers.ts";
export * from "./tls.ts";
