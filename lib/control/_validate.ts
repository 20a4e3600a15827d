import type { Env, MiddlewareHandler } from "hono";
import { validator } from "hono/validator";
import type { z } from "zod";
import { apiError } from "./_errors.ts";

const TARGET_NAMES = {
  json: "body",
  query: "query parameter",
  param: "path parameter",
} as const;

const JSON_TYPE_REGEXP = /^application\/([\w.-]+\+)?json\b/i;

type Target = keyof typeof TARGET_NAMES;

/** What Hono (and its typed client `hc`) sees: the schema's input in, its output out. */
type Validated<T extends Target, Schema extends z.ZodType> = {
  in: { [K in T]: K extends "json" ? z.input<Schema> : { [P in keyof z.input<Schema>]: string } };
  out: { [K in T]: z.output<Schema> };
};

/**
 * Hono `validator` middleware checking one request part with a zod schema; a
 * failure is a `400` naming the field (`query parameter "limit": ...`).
 * A JSON body must be sent as `application/json` (else `415`).
 */
export function validate<T extends Target, Schema extends z.ZodType, P extends string = string>(
  target: T,
  schema: Schema,
  // deno-lint-ignore no-explicit-any
): MiddlewareHandler<any, P, Validated<T, Schema>> {
  const middleware = validator(target, (value: unknown, c): z.output<Schema> => {
    if (target === "json" && !JSON_TYPE_REGEXP.test(c.req.header("Content-Type") ?? "")) {
      throw apiError(415, 'Expected a JSON body with "Content-Type: application/json"');
    }
    return parseInput(target, schema, value);
  });
  return middleware as unknown as MiddlewareHandler<Env, P, Validated<T, Schema>>;
}

/**
 * Checks one request part with a zod schema, as {@linkcode validate} does, for
 * handlers that pick a schema at run time.
 *
 * @throws {HTTPException} `400` naming the field.
 */
export function parseInput<Schema extends z.ZodType>(
  target: Target,
  schema: Schema,
  value: unknown,
): z.output<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0]] : issue.path;
  const field = path.length === 0 ? "" : ` "${path.join(".")}"`;
  const message = issue.code === "unrecognized_keys" ? "unknown field" : issue.message;
  throw apiError(400, `Invalid ${TARGET_NAMES[target]}${field}: ${message}`, result.error);
}

/** Whether a `Content-Type` is JSON (`application/json`, `application/x+json`). */
export function isJsonType(contentType: string | undefined): boolean {
  return JSON_TYPE_REGEXP.test(contentType ?? "");
}
