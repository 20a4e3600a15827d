/**
 * Small socket helpers shared by the SMTP server and the SMTP client: a node
 * `Duplex` over a Deno connection (for node:tls) and `writeAll`.
 *
 * @module
 */
export * from "./conn_duplex.ts";
