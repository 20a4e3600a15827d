/**
 * The OpenAPI 3.1 document of the control API, assembled from the same zod
 * schemas the routes validate with.
 *
 * @module
 */
import { z } from "zod";
import {
  breakerParamSchema,
  bulkBodySchema,
  bulkDeleteBodySchema,
  deleteQuerySchema,
  domainParamSchema,
  eventsQuerySchema,
  listQuerySchema,
  logLevelBodySchema,
  messageParamSchema,
  rateLimitBodySchema,
} from "./_schemas.ts";
import { composeBodySchema, rawQuerySchema } from "./_message_schemas.ts";

/** One documented operation. */
interface Operation {
  readonly method: "get" | "post" | "put" | "delete";
  /** Hono path syntax (`/v1/queue/:id`). */
  readonly path: string;
  readonly summary: string;
  /** `undefined`: no authentication. */
  readonly scope?: "read" | "admin";
  readonly query?: z.ZodObject;
  readonly params?: z.ZodObject;
  readonly body?: z.ZodType;
  /** Response media type other than JSON. */
  readonly produces?: string;
  /** Request media types besides JSON, each a string body. */
  readonly accepts?: readonly string[];
  /** Success status other than `200`. */
  readonly status?: "202";
}

const BULK = (action: string): Operation => ({
  method: "post",
  path: `/v1/queue/${action}`,
  summary: `${action[0].toUpperCase()}${action.slice(1)} every message matching a filter`,
  scope: "admin",
  body: bulkBodySchema,
});

/** Every route of the control API. */
export const OPERATIONS: readonly Operation[] = [
  { method: "get", path: "/healthz", summary: "Liveness" },
  { method: "get", path: "/readyz", summary: "Readiness: the queue answers and no shutdown began" },
  {
    method: "get",
    path: "/metrics",
    summary: "Every metric in the Prometheus text exposition format (0.0.4)",
    scope: "read",
    produces: "text/plain",
  },
  { method: "get", path: "/v1/openapi.json", summary: "This document", scope: "read" },
  {
    method: "get",
    path: "/v1/queue",
    summary: "List messages, one page at a time",
    scope: "read",
    query: listQuerySchema,
  },
  { method: "get", path: "/v1/queue/stats", summary: "Queue aggregates", scope: "read" },
  BULK("retry"),
  BULK("hold"),
  BULK("release"),
  { ...BULK("delete"), body: bulkDeleteBodySchema },
  {
    method: "get",
    path: "/v1/queue/:id",
    summary: "A message's envelope and recipient states",
    scope: "read",
    params: messageParamSchema,
  },
  {
    method: "get",
    path: "/v1/queue/:id/why",
    summary: "Why a message is not delivered yet: one sentence and structured fields",
    scope: "read",
    params: messageParamSchema,
  },
  {
    method: "get",
    path: "/v1/queue/:id/body",
    summary: "A message's body, streamed",
    scope: "read",
    params: messageParamSchema,
    produces: "message/rfc822",
  },
  {
    method: "delete",
    path: "/v1/queue/:id",
    summary: "Delete a message; with ?bounce=true, first bounce its undelivered recipients",
    scope: "admin",
    params: messageParamSchema,
    query: deleteQuerySchema,
  },
  {
    method: "post",
    path: "/v1/queue/:id/retry",
    summary: "Retry deferred recipients now",
    scope: "admin",
    params: messageParamSchema,
  },
  {
    method: "post",
    path: "/v1/queue/:id/hold",
    summary: "Hold a message (not scheduled)",
    scope: "admin",
    params: messageParamSchema,
  },
  {
    method: "post",
    path: "/v1/queue/:id/release",
    summary: "Release a held message",
    scope: "admin",
    params: messageParamSchema,
  },
  {
    method: "post",
    path: "/v1/messages",
    summary: "Queue a message: raw (message/rfc822, envelope in the query) or composed from JSON",
    scope: "admin",
    query: rawQuerySchema,
    body: composeBodySchema,
    accepts: ["message/rfc822"],
    status: "202",
  },
  { method: "post", path: "/v1/delivery/process", summary: "Wake the scheduler", scope: "admin" },
  {
    method: "get",
    path: "/v1/delivery/rate-limits",
    summary: "Rate limits and buckets",
    scope: "read",
  },
  {
    method: "put",
    path: "/v1/delivery/rate-limits/:domain",
    summary: "Set a domain's rate limit until restart",
    scope: "admin",
    params: domainParamSchema,
    body: rateLimitBodySchema,
  },
  {
    method: "delete",
    path: "/v1/delivery/rate-limits/:domain",
    summary: "Return a domain to the default rate limit",
    scope: "admin",
    params: domainParamSchema,
  },
  { method: "get", path: "/v1/delivery/breakers", summary: "Circuit breakers", scope: "read" },
  {
    method: "get",
    path: "/v1/delivery/mta-sts",
    summary: "Cached MTA-STS policies of recipient domains",
    scope: "read",
  },
  {
    method: "get",
    path: "/v1/delivery/tls-rpt",
    summary: "SMTP TLS Reporting: session counts not yet reported and pending submissions",
    scope: "read",
  },
  {
    method: "post",
    path: "/v1/delivery/tls-rpt/send",
    summary: "Send the SMTP TLS reports now, the current period up to now included",
    scope: "admin",
  },
  {
    method: "post",
    path: "/v1/delivery/breakers/:key/reset",
    summary: "Close a circuit breaker",
    scope: "admin",
    params: breakerParamSchema,
  },
  {
    method: "get",
    path: "/v1/dns/cache",
    summary: "DNS cache counters and entries",
    scope: "read",
  },
  { method: "delete", path: "/v1/dns/cache", summary: "Flush the DNS cache", scope: "admin" },
  {
    method: "delete",
    path: "/v1/dns/cache/:domain",
    summary: "Flush one name from the DNS cache",
    scope: "admin",
    params: domainParamSchema,
  },
  { method: "get", path: "/v1/system", summary: "Version, uptime, deliveries", scope: "read" },
  { method: "get", path: "/v1/system/log-level", summary: "Log levels in effect", scope: "read" },
  {
    method: "put",
    path: "/v1/system/log-level",
    summary: "Set the level of the root or of one category at run time",
    scope: "admin",
    body: logLevelBodySchema,
  },
  {
    method: "post",
    path: "/v1/config/reload",
    summary: "Re-read and apply the configuration file; 400 with every problem if invalid",
    scope: "admin",
  },
  {
    method: "get",
    path: "/v1/events",
    summary: "Delivery events as Server-Sent Events, filtered by message id or domain",
    scope: "read",
    query: eventsQuerySchema,
    produces: "text/event-stream",
  },
  {
    method: "get",
    path: "/v1/system/connections",
    summary: "Open SMTP connections",
    scope: "read",
  },
  {
    method: "get",
    path: "/v1/system/config",
    summary: "The running configuration, secrets redacted",
    scope: "read",
  },
];

const ERROR_SCHEMA = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: { code: { type: "string" }, message: { type: "string" } },
    },
  },
};

/** Converts a Hono path (`/v1/queue/:id`) to OpenAPI syntax (`/v1/queue/{id}`). */
export function toOpenApiPath(path: string): string {
  return path.replace(/:([A-Za-z_]\w*)/g, "{$1}");
}

/**
 * Builds the OpenAPI 3.1 document.
 *
 * @param version Empath's version.
 * @returns The document, as plain JSON data.
 *
 * @example Usage
 * ```ts
 * import { openApiDocument } from "./openapi.ts";
 * import assert from "node:assert/strict";
 *
 * const document = openApiDocument("0.1.0") as { openapi: string };
 * assert.equal(document.openapi, "3.1.0");
 * ```
 */
export function openApiDocument(version: string): unknown {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of OPERATIONS) {
    (paths[toOpenApiPath(operation.path)] ??= {})[operation.method] = describe(operation);
  }
  return {
    openapi: "3.1.0",
    info: { title: "Empath control API", version },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: { Error: ERROR_SCHEMA },
    },
    security: [{ bearer: [] }],
    paths,
  };
}

function describe(operation: Operation): Record<string, unknown> {
  const errorResponse = {
    description: "Error",
    content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
  };
  const described: Record<string, unknown> = {
    summary: operation.summary,
    ...(operation.scope === undefined ? { security: [] } : { "x-empath-scope": operation.scope }),
    parameters: [
      ...parameters(operation.params, "path"),
      // With a body form beside it, the query belongs to the other form: optional.
      ...parameters(operation.query, "query", operation.accepts !== undefined),
    ],
    responses: {
      [operation.status ?? "200"]: {
        description: "Success",
        content: { [operation.produces ?? "application/json"]: {} },
      },
      default: errorResponse,
    },
  };
  if (operation.body !== undefined) {
    described.requestBody = {
      required: true,
      content: {
        "application/json": { schema: jsonSchema(operation.body) },
        ...Object.fromEntries(
          (operation.accepts ?? []).map((type) => [type, { schema: { type: "string" } }]),
        ),
      },
    };
  }
  return described;
}

function parameters(
  schema: z.ZodObject | undefined,
  where: "path" | "query",
  optional = false,
): unknown[] {
  if (schema === undefined) return [];
  const json = jsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === "path" || (!optional && (json.required ?? []).includes(name)),
    schema: property,
  }));
}

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
  const { $schema: _, ...rest } = json as Record<string, unknown>;
  return rest;
}
