/**
 * Delivery: the scheduler that leases due messages from the queue, routing
 * (static routes, MX, implicit MX, null MX, domain literals, private-address
 * refusal), the SMTP/LMTP client driver and Maildir delivery, per-domain rate
 * limits and circuit breakers, retries with backoff, RFC 3464 bounces and delay
 * warnings, and MTA-STS policies (RFC 8461) applied to MX deliveries.
 *
 * @module
 */
export * from "./bounce.ts";
export * from "./classify.ts";
export * from "./circuit_breaker.ts";
export * from "./connection_pool.ts";
export * from "./delay_warning.ts";
export * from "./dsn.ts";
export * from "./engine.ts";
export * from "./host_limiter.ts";
export * from "./maildir.ts";
export * from "./mta_sts.ts";
export * from "./private_address.ts";
export * from "./rate_limiter.ts";
export * from "./retry.ts";
export * from "./route.ts";
export * from "./smtp_client.ts";
export * from "./tls_rpt_session.ts";
