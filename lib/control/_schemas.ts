import { z } from "zod";
import { parseDuration, parseRate } from "../config/mod.ts";

const DOMAIN_REGEXP =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** Largest page of `GET /v1/queue`. */
export const MAX_PAGE = 500;

const messageStateSchema = z.enum(["queued", "held"]);

const domainSchema = z.string().regex(DOMAIN_REGEXP, 'expected a domain name such as "example.org"')
  .transform((domain) => domain.toLowerCase());

/**
 * A zod transform that converts its input with `parse`, and turns a throw into an issue
 * saying `expected` (text, or made from the input).
 */
export function parsedWith<In, Out>(
  parse: (input: In) => Out,
  expected: string | ((input: In) => string),
): (input: In, context: z.RefinementCtx<In>) => Out {
  return (input, context) => {
    try {
      return parse(input);
    } catch {
      const message = typeof expected === "string" ? expected : expected(input);
      context.addIssue({ code: "custom", message, input });
      return z.NEVER;
    }
  };
}

/** A duration as text (`"30s"`, `"1h"`) or integer milliseconds (`"5000"`). */
const durationSchema = z.string().transform(parsedWith(
  (text) => parseDuration(/^\d+$/.test(text) ? Number(text) : text),
  'expected a duration such as "30s", "5m", "1h" or integer milliseconds',
));

/** Query of `GET /v1/queue`. */
export const listQuerySchema = z.strictObject({
  state: messageStateSchema.optional(),
  domain: domainSchema.optional(),
  sender: z.string().optional(),
  recipient: z.string().min(1).optional(),
  min_age: durationSchema.optional(),
  limit: z.string().regex(/^\d+$/, "expected an integer")
    .transform(Number)
    .pipe(z.number().int().min(1).max(MAX_PAGE))
    .optional(),
  cursor: z.string().min(1).optional(),
});

/** Body of the bulk queue actions. */
export const bulkBodySchema = z.strictObject({
  state: messageStateSchema.optional(),
  domain: domainSchema.optional(),
  sender: z.string().optional(),
  dry_run: z.boolean().default(false),
});

/** Body of `POST /v1/queue/delete`: a bulk filter, and whether to bounce to the senders. */
export const bulkDeleteBodySchema = bulkBodySchema.extend({
  bounce: z.boolean().default(false),
});

/** Query of `DELETE /v1/queue/:id`: `?bounce=true` tells the sender (RFC 3464 DSN). */
export const deleteQuerySchema = z.object({
  bounce: z.enum(["true", "false"]).default("false").transform((value) => value === "true"),
});

/** Path of the single-message routes. */
export const messageParamSchema = z.object({ id: z.string().min(1) });

/** Path of the per-domain routes. */
export const domainParamSchema = z.object({ domain: domainSchema });

/** Path of the per-breaker routes: a destination key as the engine reports it. */
export const breakerParamSchema = z.object({
  key: z.string().min(1).max(300).transform((key) => key.toLowerCase()),
});

/** Body of `PUT /v1/delivery/rate-limits/:domain`. */
export const rateLimitBodySchema = z.strictObject({
  rate: z.union([z.string(), z.number()]).transform(parsedWith(
    parseRate,
    'expected a rate above 0 such as "10/s", "100/m", "1000/h" or a number per second',
  )),
  burst: z.number().int().min(1),
});

/** Query of `GET /v1/events`. */
export const eventsQuerySchema = z.strictObject({
  id: z.string().min(1).max(64).optional(),
  domain: z.string().min(1).max(255).optional(),
});

/** Body of `PUT /v1/system/log-level`. */
export const logLevelBodySchema = z.strictObject({
  /**
   * Dotted category below the root, e.g. "empath.smtp"; absent = the root level. Nothing
   * outside "empath" has a level: not the audit trail ("empath-audit"), not logtape's loggers.
   */
  category: z.string().regex(/^empath(\.[a-z][a-z0-9_-]*)*$/).optional(),
  level: z.enum(["trace", "debug", "info", "warning", "error", "fatal"]).nullable(),
});
