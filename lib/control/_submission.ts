/**
 * The submission of `POST /v1/messages`, read from the request: the envelope, and the message to
 * build once the queue id is known, either raw (`message/rfc822`, envelope in the query) or
 * composed from JSON. Private to lib/control.
 *
 * @module
 */
import type { Context } from "hono";
import { concatBytes, formatMessageDate } from "../smtp/mod.ts";
import type { ControlDeps } from "./deps.ts";
import { apiError } from "./_errors.ts";
import { composeBodySchema, rawQuerySchema } from "./_message_schemas.ts";
import { composeMessage, HeaderSyntaxError } from "./_mime.ts";
import { inspectMessage, MessageSyntaxError, normaliseLineBreaks } from "./_raw_message.ts";
import { isJsonType, parseInput } from "./_validate.ts";

const encoder = new TextEncoder();

/** What reading a submission needs: the clock and the host name. */
export type SubmissionSettings = Pick<ControlDeps, "now"> & { readonly hostname: string };

/** An envelope and a message to be built once the queue id is known. */
export interface Submission {
  reversePath: string;
  recipients: string[];
  /** 0–9, when the request gave one. */
  priority?: number;
  /** The message without the `Received:` header. */
  build(id: string): Uint8Array;
  eightBit(message: Uint8Array): boolean;
}

/**
 * The submission of a request: raw (`message/rfc822`) or composed from JSON; else `415`.
 *
 * @param c The request context.
 * @param settings The clock and the host name (for `Date:` and `Message-ID:`).
 * @returns The envelope and the message builder.
 * @throws {HTTPException} `400` for an invalid body or query, `415` for another content type.
 *
 * @example Usage
 * ```ts ignore
 * const submission = await readSubmission(c, { now: () => Date.now(), hostname: "mx.example" });
 * ```
 */
export async function readSubmission(
  c: Context,
  settings: SubmissionSettings,
): Promise<Submission> {
  const type = c.req.header("Content-Type") ?? "";
  if (/^message\/rfc822\b/i.test(type)) return await readRawSubmission(c, settings);
  if (!isJsonType(type)) {
    throw apiError(415, 'Expected "Content-Type: message/rfc822" or "application/json"');
  }
  return await readComposedSubmission(c, settings);
}

/** A raw message, envelope in the query; `Date:` and `Message-ID:` are added when missing. */
async function readRawSubmission(c: Context, settings: SubmissionSettings): Promise<Submission> {
  const query = parseInput("query", rawQuerySchema, queryObject(c));
  const raw = normaliseLineBreaks(new Uint8Array(await c.req.arrayBuffer()));
  let facts;
  try {
    facts = inspectMessage(raw);
  } catch (error) {
    if (error instanceof MessageSyntaxError) throw apiError(400, error.message, error);
    throw error;
  }
  return {
    reversePath: query.from,
    recipients: query.to,
    priority: query.priority,
    build: (id) => withMissingFields(raw, facts.fields, messageFields(settings, id)),
    eightBit: () => facts.eightBit,
  };
}

/** A message composed from a JSON body (`400` when it is not JSON or a header is invalid). */
async function readComposedSubmission(
  c: Context,
  settings: SubmissionSettings,
): Promise<Submission> {
  let json: unknown;
  try {
    json = await c.req.json();
  } catch (error) {
    throw apiError(400, "Invalid body: not JSON", error);
  }
  const body = parseInput("json", composeBodySchema, json);
  return {
    reversePath: body.from,
    recipients: body.to,
    priority: body.priority,
    build: (id) => {
      const fields = messageFields(settings, id);
      try {
        return encoder.encode(composeMessage({
          ...body,
          date: fields.date,
          messageId: body.messageId ?? fields.messageId,
          boundary: `=_${id}`,
        }));
      } catch (error) {
        if (!(error instanceof HeaderSyntaxError)) throw error;
        throw apiError(400, `Invalid body "headers.${error.field}": ${error.message}`, error);
      }
    },
    eightBit: (message) => message.some((byte) => byte > 127),
  };
}

/** Query parameters with repeated names as arrays (as Hono's `validator` sees them). */
function queryObject(c: Context): Record<string, string | string[]> {
  return Object.fromEntries(
    Object.entries(c.req.queries()).map((
      [key, values],
    ) => [key, values.length === 1 ? values[0] : values]),
  );
}

function messageFields(settings: SubmissionSettings, id: string) {
  return {
    date: formatMessageDate(new Date(settings.now())),
    messageId: `<${id}@${settings.hostname}>`,
  };
}

/** Prepends `Date:` and `Message-ID:` when the header lacks them (RFC 5322 §3.6). */
function withMissingFields(
  raw: Uint8Array,
  present: ReadonlySet<string>,
  fields: { date: string; messageId: string },
): Uint8Array {
  let added = "";
  if (!present.has("date")) added += `Date: ${fields.date}\r\n`;
  if (!present.has("message-id")) added += `Message-ID: ${fields.messageId}\r\n`;
  return added === "" ? raw : concatBytes([encoder.encode(added), raw]);
}
