/**
 * `POST /v1/messages`: queue a message through the same spool path as SMTP,
 * either raw (`message/rfc822`, envelope in the query) or composed from JSON.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { PriorityConfig } from "../config/mod.ts";
import {
  envelopeFits,
  type EnvelopeInit,
  headerPriority,
  type MailParams,
  type SpoolWriter,
} from "../queue/mod.ts";
import { signingSpool } from "../dkim/mod.ts";
import { binaryString, collectHeaderFields, fieldValue, formatMessageDate } from "../smtp/mod.ts";
import {
  activeSpanContext,
  ATTR,
  encodeTraceContext,
  failSpan,
  getLogger,
  parseTraceparent,
  type Span,
  startSpan,
  storedContext,
  withSpan,
} from "../observe/mod.ts";
import type { ControlVariables } from "./auth.ts";
import type { ControlDeps } from "./deps.ts";
import { apiError, type ErrorBody } from "./_errors.ts";
import { readSubmission, type Submission } from "./_submission.ts";

const logger = getLogger(["empath", "control"]);

/** Octets per `SpoolWriter.write()` call (one stored chunk). */
const WRITE_CHUNK = 64_000;
// deno-lint-ignore no-control-regex
const NON_ASCII_REGEXP = /[^\x00-\x7f]/;

const encoder = new TextEncoder();

/** `[policy] max_message_size` by default. */
const DEFAULT_MAX_MESSAGE_SIZE = 35_000_000;

/** The services `POST /v1/messages` uses. */
export type MessageRoutesDeps = Pick<
  ControlDeps,
  | "queue"
  | "delivery"
  | "now"
  | "hostname"
  | "maxMessageSize"
  | "maxBody"
  | "dkim"
  | "events"
  | "priority"
>;

/** {@linkcode MessageRoutesDeps} with the defaults applied. */
type MessageSettings =
  & Required<Omit<MessageRoutesDeps, "dkim" | "priority">>
  & Pick<ControlDeps, "dkim" | "priority">;

/**
 * Builds the message routes, mounted at `/v1/messages`. The request body may be
 * as large as `maxMessageSize` plus `maxBody` (room for JSON escapes); the
 * message itself must fit `maxMessageSize`, and its envelope one queue record (else `413`). The answer, `202
 * { id }`, comes only after the spool commit; a storage failure is a `503`
 * with nothing stored.
 *
 * @param deps The queue, the delivery engine (woken after a commit), the clock, the host name and the limits.
 * @returns The routes.
 *
 * @example Usage
 * ```ts ignore
 * app.route("/v1/messages", createMessageRoutes(deps));
 * ```
 */
export function createMessageRoutes(options: MessageRoutesDeps) {
  const deps: MessageSettings = {
    ...options,
    maxMessageSize: options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
    hostname: options.hostname ?? "localhost",
  };
  const maxSize = deps.maxMessageSize + deps.maxBody;
  return new Hono<{ Variables: ControlVariables }>()
    .use(bodyLimit({
      maxSize,
      onError: () => {
        throw apiError(413, `Message is larger than ${deps.maxMessageSize} bytes`);
      },
    }))
    .post("/", async (c) => {
      const submission = await readSubmission(c, deps);
      const result = await spool(c, deps, submission);
      if ("error" in result) return c.json<ErrorBody>(result, 503);
      return c.json({ id: result.id }, 202);
    });
}

/** Spools the message; `{ id }` after the commit, `{ error }` if storage failed (nothing kept). */
async function spool(
  c: Context,
  deps: MessageSettings,
  submission: Submission,
): Promise<{ id: string } | ErrorBody> {
  const ip = clientIp(c);
  let writer: SpoolWriter;
  try {
    writer = openWriter(deps);
  } catch (error) {
    return unavailable(error, undefined);
  }
  const id = writer.id;
  const message = await buildMessage(writer, submission, { maxMessageSize: deps.maxMessageSize });
  const received = encoder.encode(receivedField({ ip, by: deps.hostname, id, now: deps.now() }));
  const envelope = envelopeOf(c, submission, { message, ip, rule: deps.priority?.() });
  if (!envelopeFits(envelope)) {
    await writer.abort();
    throw apiError(413, "The envelope does not fit in one queue record: send fewer recipients");
  }
  const span = commitSpan(id, envelope);
  const failure = await withSpan(span, async () => {
    const failed = await writeAndCommit(writer, { span, received, message, envelope });
    if (failed === undefined) announce(deps, { id, envelope, size: message.length, ip });
    return failed;
  }).finally(() => span.end());
  return failure ?? { id };
}

/** A spool writer; injected mail is submitted mail: DKIM-signed when a key matches its From domain. */
function openWriter(deps: MessageSettings): SpoolWriter {
  const signer = deps.dkim?.start();
  const spooled = deps.queue.createSpool();
  return signer === undefined ? spooled : signingSpool(spooled, signer);
}

/** The message for `writer`'s id; the writer is aborted when it cannot be built or is too large. */
async function buildMessage(
  writer: SpoolWriter,
  submission: Submission,
  { maxMessageSize }: { maxMessageSize: number },
): Promise<Uint8Array> {
  let message: Uint8Array;
  try {
    message = submission.build(writer.id);
  } catch (error) {
    await writer.abort();
    throw error;
  }
  if (message.length > maxMessageSize) {
    await writer.abort();
    throw apiError(413, `Message is larger than ${maxMessageSize} bytes`);
  }
  return message;
}

/** Writes the `Received:` field and the message, then commits; `{ error }` (aborted) on failure. */
async function writeAndCommit(
  writer: SpoolWriter,
  parts: { span: Span; received: Uint8Array; message: Uint8Array; envelope: EnvelopeInit },
): Promise<ErrorBody | undefined> {
  const { span, received, message, envelope } = parts;
  try {
    await writer.write(received);
    for (let offset = 0; offset < message.length; offset += WRITE_CHUNK) {
      await writer.write(message.subarray(offset, offset + WRITE_CHUNK));
    }
    await writer.commit(envelope);
  } catch (error) {
    failSpan(span, error);
    await writer.abort();
    return unavailable(error, writer.id);
  }
  return undefined;
}

/** After the commit: wakes delivery, publishes `received` and logs. */
function announce(
  deps: MessageSettings,
  queued: { id: string; envelope: EnvelopeInit; size: number; ip: string | undefined },
): void {
  const { id, envelope, size, ip } = queued;
  deps.delivery.wake();
  deps.events.publish({
    type: "received",
    id,
    at: deps.now(),
    sender: envelope.reversePath,
    recipients: envelope.recipients,
    size,
    clientIp: ip,
    listener: "http",
  });
  logger.info("Message {message_id} queued from the control API ({ip})", {
    message_id: id,
    ip: ip ?? "unknown",
    recipients: envelope.recipients.length,
  });
}

/**
 * Starts the `queue.commit` span of a submitted message: a child of the request's span (Deno's
 * `Deno.serve` span, which already continues the client's `traceparent`), else of the submitted
 * `traceparent` itself. When it records, its context replaces the submitted one in the
 * envelope, so delivery spans become its children; without tracing the submitted context is
 * stored as it came.
 */
function commitSpan(id: string, envelope: EnvelopeInit): Span {
  const parent = activeSpanContext() === undefined
    ? storedContext(envelope.traceContext)
    : undefined;
  const span = startSpan("queue.commit", { parent, attributes: { [ATTR.MESSAGE_ID]: id } });
  if (span.isRecording()) envelope.traceContext = encodeTraceContext(span.spanContext());
  return span;
}

/**
 * `{ priority }`: the request's, else the `[priority] header` field's (the caller is a
 * submitter: it holds a token), else the configured default; `{}` without a `[priority]` rule.
 */
function priorityOf(
  submission: Submission,
  message: Uint8Array,
  rule: PriorityConfig | undefined,
): Pick<EnvelopeInit, "priority"> {
  if (submission.priority !== undefined) return { priority: submission.priority };
  if (rule === undefined) return {};
  const header = rule.header.toLowerCase();
  const [field] = header === ""
    ? []
    : collectHeaderFields(binaryString(message.subarray(0, 65_536)), new Set([header]));
  const fromHeader = field === undefined
    ? undefined
    : headerPriority(fieldValue(field), rule.values);
  return { priority: fromHeader ?? rule.default };
}

/** The envelope: addresses, where it came from, BODY/SMTPUTF8 as the content needs, trace context. */
function envelopeOf(
  c: Context,
  submission: Submission,
  { message, ip, rule }: {
    message: Uint8Array;
    ip: string | undefined;
    rule: PriorityConfig | undefined;
  },
): EnvelopeInit {
  const utf8 = [submission.reversePath, ...submission.recipients].some((address) =>
    NON_ASCII_REGEXP.test(address)
  );
  const mailParams: MailParams = {};
  if (utf8 || submission.eightBit(message)) mailParams.body = "8BITMIME";
  if (utf8) mailParams.smtputf8 = true;
  return {
    reversePath: submission.reversePath,
    recipients: submission.recipients,
    receivedFrom: { ip: ip ?? "unknown", helo: "http", listener: "control" },
    ...priorityOf(submission, message, rule),
    ...(Object.keys(mailParams).length > 0 ? { mailParams } : {}),
    ...traceContext(c),
  };
}

function unavailable(error: unknown, id: string | undefined): ErrorBody {
  logger.error("Cannot queue message {message_id} from the control API: {error}", {
    message_id: id,
    error,
  });
  return { error: { code: "unavailable", message: "Cannot queue the message: storage failed" } };
}

/** The HTTP client's address, when served by `Deno.serve` (Hono passes its handler info as `env`). */
function clientIp(c: Context): string | undefined {
  const info = c.env as { remoteAddr?: Deno.Addr } | undefined;
  const address = info?.remoteAddr;
  return address !== undefined && "hostname" in address ? address.hostname : undefined;
}

/** RFC 5321 §4.4 trace field for a message submitted over HTTP. */
function receivedField(options: { ip?: string; by: string; id: string; now: number }): string {
  const { ip, by, id, now } = options;
  const from = ip === undefined ? "control API" : ip.includes(":") ? `[IPv6:${ip}]` : `[${ip}]`;
  return `Received: from ${from}\r\n\tby ${by} (Empath) with HTTP id ${id};\r\n\t` +
    `${formatMessageDate(new Date(now))}\r\n`;
}

/** `{ traceContext }` from a valid W3C `traceparent` (and its `tracestate`), else `{}`. */
function traceContext(c: Context): Pick<EnvelopeInit, "traceContext"> {
  const traceparent = c.req.header("traceparent")?.toLowerCase();
  if (traceparent === undefined) return {};
  const record = encodeTraceContext(parseTraceparent(traceparent, c.req.header("tracestate")));
  return record === undefined ? {} : { traceContext: record };
}
