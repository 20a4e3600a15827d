// Request schemas of `POST /v1/messages`.
import { z } from "zod";
import { parsePath } from "../smtp/mod.ts";
import { parsedWith } from "./_schemas.ts";

/** Most recipients one request may name. */
export const MAX_RECIPIENTS = 1000;

/** RFC 5322 §3.6.8: printable ASCII except the colon. */
const FIELD_NAME_REGEXP = /^[\x21-\x39\x3b-\x7e]+$/;
// deno-lint-ignore no-control-regex
const FIELD_VALUE_REGEXP = /^[^\x00\r\n]*$/;
const MESSAGE_ID_REGEXP = /^<?([\x21-\x3b\x3d\x3f-\x7e]+@[\x21-\x3b\x3d\x3f-\x7e]+)>?$/;
/** Fields the composer writes itself. */
const RESERVED_FIELDS: ReadonlySet<string> = new Set([
  "mime-version",
  "content-type",
  "content-transfer-encoding",
]);

/** An address with or without angle brackets → its canonical form (`""` for the null path). */
function pathSchema(allowNull: boolean) {
  return z.string().max(512).transform(parsedWith(
    (text) => {
      const path = parsePath(text.startsWith("<") ? text : `<${text}>`, { utf8: true, allowNull });
      return path.kind === "null" ? "" : path.address;
    },
    (text) => `expected an address such as "user@example.org", got "${text.slice(0, 100)}"`,
  ));
}

const recipientsSchema = z.array(pathSchema(false))
  .min(1, "at least one recipient is required")
  .max(MAX_RECIPIENTS, `at most ${MAX_RECIPIENTS} recipients are allowed`);

/** Query of the `message/rfc822` form: `from` (may be empty for `<>`) and repeated `to`. */
/** `priority`: 0 (least urgent) to 9 (most urgent); absent = the default, 5. */
const prioritySchema = z.coerce.number().int().min(0).max(9).optional();

export const rawQuerySchema = z.strictObject({
  from: pathSchema(true),
  priority: prioritySchema,
  to: z.preprocess(
    (value) => value === undefined ? [] : typeof value === "string" ? [value] : value,
    recipientsSchema,
  ),
});

/** Body of the JSON form. */
export const composeBodySchema = z.strictObject({
  from: pathSchema(true),
  priority: prioritySchema,
  to: recipientsSchema,
  headers: z.record(
    z.string().regex(FIELD_NAME_REGEXP, "expected a header field name"),
    z.string().max(16_000).regex(FIELD_VALUE_REGEXP, "line breaks are not allowed"),
  ).optional(),
  subject: z.string().max(16_000).regex(FIELD_VALUE_REGEXP, "line breaks are not allowed")
    .optional(),
  text: z.string().optional(),
  html: z.string().optional(),
  messageId: z.string().regex(MESSAGE_ID_REGEXP, 'expected "<local@domain>"')
    .transform((id) => `<${MESSAGE_ID_REGEXP.exec(id)![1]}>`)
    .optional(),
}).superRefine((body, context) => {
  for (const name of Object.keys(body.headers ?? {})) {
    if (RESERVED_FIELDS.has(name.toLowerCase())) {
      context.addIssue({
        code: "custom",
        path: ["headers", name],
        message: "this header is written by the server",
      });
    }
  }
  const hasFrom = Object.keys(body.headers ?? {}).some((name) => name.toLowerCase() === "from");
  if (body.from === "" && !hasFrom) {
    context.addIssue({
      code: "custom",
      path: ["headers", "From"],
      message: 'required when "from" is empty',
    });
  }
});

/** The JSON form, after validation. */
export type ComposeBody = z.output<typeof composeBodySchema>;
