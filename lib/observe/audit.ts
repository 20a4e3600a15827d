/**
 * The audit trail: one JSON line per security- or mail-relevant event (a
 * message received, each delivery attempt and result, bounces, operator
 * actions, configuration reloads, control commands, failed authentication),
 * under its own logtape category ({@linkcode AUDIT_CATEGORY}) and its own
 * sink, redacted before it is written. Message content is never part of it.
 *
 * @module
 */
import {
  getLogger as getLogtapeLogger,
  type Logger,
  type LogRecord,
  type Sink,
} from "@logtape/logtape";
import type { MailEvent, MailEvents } from "./events.ts";
import { AUDIT_CATEGORY, setAuditSink } from "./logging.ts";
import { type AuditField, redactAuditSink } from "./_audit_redaction.ts";
import { type AuditTarget, openAuditOutput } from "./_audit_output.ts";

export { AUDIT_FIELDS, type AuditField } from "./_audit_redaction.ts";

/** A message entered the queue (over SMTP, or `POST /v1/messages` with listener `"http"`). */
export interface MessageReceived {
  readonly event: "MessageReceived";
  readonly id: string;
  /** The reverse path; `"<>"` for the null sender. */
  readonly sender: string;
  readonly recipients: readonly string[];
  /** Message bytes as the client sent them (without the `Received:` header added here). */
  readonly size?: number;
  readonly client_ip?: string;
  readonly helo?: string;
  readonly tls?: boolean;
  readonly auth_user?: string;
  readonly listener?: string;
}

/** A delivery attempt of a message to one recipient domain began. */
export interface DeliveryAttempt {
  readonly event: "DeliveryAttempt";
  readonly id: string;
  readonly domain?: string;
  /** The message's attempt number, from 1. */
  readonly attempt?: number;
}

/** The outcome for one recipient: success, or a temporary or permanent failure. */
export interface DeliveryResult {
  readonly event: "DeliverySuccess" | "DeliveryFailure";
  readonly id: string;
  readonly recipient?: string;
  /** The server that answered, such as `mx.example.org [192.0.2.1]:25`. */
  readonly server?: string;
  /** The final reply or the reason. */
  readonly reply?: string;
  /** Failures: `true` when the recipient is given up (and bounced), `false` when it is retried. */
  readonly permanent?: boolean;
  /** How long the delivery to the recipient's domain took. */
  readonly duration_ms?: number;
  /** The recipient's attempt number, from 1. */
  readonly attempt?: number;
}

/** A bounce (delivery status notification) was queued to the sender of message `id`. */
export interface BounceGenerated {
  readonly event: "BounceGenerated";
  readonly id: string;
  readonly bounce_id?: string;
  /** The sender the bounce goes to. */
  readonly sender?: string;
  /** The failed (or delayed) recipients it reports. */
  readonly recipients?: readonly string[];
  /** What it reports: `failed` (a bounce) or `delayed` (a delay warning). */
  readonly action?: "failed" | "delayed";
}

/** An operator deleted, held or released a message. */
export interface MessageAction {
  readonly event: "MessageDeleted" | "MessageHeld" | "MessageReleased";
  readonly id: string;
}

/** A configuration reload was applied. Key paths only, never values. */
export interface ConfigReloaded {
  readonly event: "ConfigReloaded";
  readonly changed: readonly string[];
  readonly restart_required: readonly string[];
}

/** A mutating control API request (POST, PUT, PATCH, DELETE) by an authenticated token. */
export interface ControlCommand {
  readonly event: "ControlCommand";
  /** The token's name. */
  readonly who: string;
  readonly method: string;
  readonly path: string;
  /** The HTTP status of the answer. */
  readonly status: number;
  readonly client_ip?: string;
}

/** Failed authentication: SMTP AUTH credentials, or a control API request without a valid token. */
export interface AuthFailure {
  readonly event: "AuthFailure";
  readonly source: "smtp" | "control";
  readonly client_ip?: string;
  /** SMTP: the user name presented (never the password). */
  readonly auth_user?: string;
  /** SMTP: the SASL mechanism. */
  readonly mechanism?: string;
  /** Control: the request method and path (never the token). */
  readonly method?: string;
  readonly path?: string;
}

/** Every audit event; `event` names it. */
export type AuditEvent =
  | MessageReceived
  | DeliveryAttempt
  | DeliveryResult
  | BounceGenerated
  | MessageAction
  | ConfigReloaded
  | ControlCommand
  | AuthFailure;

/**
 * Writes audit events to the {@linkcode AUDIT_CATEGORY} logger; the sink set
 * with `setAuditSink` formats and redacts them.
 *
 * @example Usage
 * ```ts
 * import { AuditLog, auditSink, setAuditSink } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const lines: string[] = [];
 * await setAuditSink(auditSink({ redact: ["sender"], write: (line) => lines.push(line) }));
 * new AuditLog().record({ event: "MessageHeld", id: "01J0000000000000000000000A" });
 * await setAuditSink(undefined);
 * assert.equal(JSON.parse(lines[0]).event, "MessageHeld");
 * ```
 */
export class AuditLog {
  readonly #logger: Logger;

  /** @param logger Where records go. @default the {@linkcode AUDIT_CATEGORY} logger */
  constructor(logger: Logger = getLogtapeLogger([AUDIT_CATEGORY])) {
    this.#logger = logger;
  }

  /** Records one event. */
  record(event: AuditEvent): void {
    this.#logger.info("{event}", { ...event });
  }

  /**
   * Records the mail events of `events` from now on.
   *
   * @returns The function that stops following.
   */
  follow(events: MailEvents): () => void {
    return events.subscribe((event) => {
      const audited = auditEventOf(event);
      if (audited !== undefined) this.record(audited);
    });
  }
}

/**
 * The audit event for a mail event.
 *
 * @param event A mail event.
 * @returns The audit event.
 */
export function auditEventOf(event: MailEvent): AuditEvent {
  const { id } = event;
  switch (event.type) {
    case "received":
      return messageReceived(event);
    case "attempt":
      return { event: "DeliveryAttempt", id, domain: event.domain, attempt: event.attempt };
    case "delivered":
    case "deferred":
    case "bounced":
      return deliveryResult(event);
    case "dsn":
      return {
        event: "BounceGenerated",
        id,
        bounce_id: event.bounceId,
        sender: event.sender,
        recipients: event.recipients,
        action: event.detail === "delayed" ? "delayed" : "failed",
      };
    case "held":
      return { event: "MessageHeld", id };
    case "released":
      return { event: "MessageReleased", id };
    case "deleted":
      return { event: "MessageDeleted", id };
    default: {
      const unknown: never = event.type;
      throw new TypeError(`Unknown mail event type "${unknown}"`);
    }
  }
}

/** The audit event for a `received` mail event; the null sender is `"<>"`. */
function messageReceived(event: MailEvent): MessageReceived {
  return {
    event: "MessageReceived",
    id: event.id,
    sender: event.sender === undefined || event.sender === "" ? "<>" : event.sender,
    recipients: event.recipients ?? [],
    size: event.size,
    client_ip: event.clientIp,
    helo: event.helo,
    tls: event.tls,
    auth_user: event.authUser,
    listener: event.listener,
  };
}

/** The audit event for a `delivered`, `deferred` or `bounced` mail event. */
function deliveryResult(event: MailEvent): DeliveryResult {
  return {
    event: event.type === "delivered" ? "DeliverySuccess" : "DeliveryFailure",
    id: event.id,
    recipient: event.recipient,
    server: event.server,
    reply: event.detail,
    permanent: event.type === "delivered" ? undefined : event.type === "bounced",
    duration_ms: event.durationMs,
    attempt: event.attempt,
  };
}

/** Options of {@linkcode auditSink}. */
export interface AuditSinkOptions {
  /** The fields to redact. */
  readonly redact: readonly AuditField[];
  /** Where each line (ending in `\n`) goes. */
  readonly write: (line: string) => void;
}

/**
 * A sink that writes each audit record as one JSON line
 * (`{"timestamp":"…","event":"…",…}`), redacted as configured.
 *
 * @param options The fields to redact and the destination.
 * @returns The sink, for `setAuditSink`.
 *
 * @example Usage
 * ```ts
 * import { auditSink } from "./audit.ts";
 *
 * const sink = auditSink({ redact: ["sender", "recipients"], write: (line) => console.log(line) });
 * ```
 */
export function auditSink(options: AuditSinkOptions): Sink {
  const { write } = options;
  return redactAuditSink((record) => write(formatAuditRecord(record)), options.redact);
}

function formatAuditRecord(record: LogRecord): string {
  const timestamp = new Date(record.timestamp).toISOString();
  return `${JSON.stringify({ timestamp, ...record.properties })}\n`;
}

/** Options of {@linkcode startAudit}: `[observe.audit]` without `enabled`. */
export interface AuditOptions {
  /** `"stdout"`, or `"file"` to append to `path`. */
  readonly sink: "stdout" | "file";
  /** The file, for `sink = "file"`; created with mode 0600 if absent. */
  readonly path?: string;
  /** The fields to redact. */
  readonly redact: readonly AuditField[];
}

/** A running audit trail. */
export interface AuditTrail extends AsyncDisposable {
  /** Records one event. */
  record(event: AuditEvent): void;
  /** Stops following mail events, removes the audit sink and closes the file. */
  close(): Promise<void>;
}

/**
 * Opens the audit destination, installs the audit sink (one per process) and
 * records the events of `events` until closed.
 *
 * @param options Destination and redaction.
 * @param events The mail event bus to follow.
 * @returns The running trail.
 * @throws {TypeError} If `sink` is `"file"` without a `path`.
 * @throws {Error} If the audit file cannot be opened.
 *
 * @example Usage
 * ```ts
 * import { MailEvents, startAudit } from "./mod.ts";
 *
 * const path = await Deno.makeTempFile();
 * const audit = await startAudit({ sink: "file", path, redact: ["sender"] }, new MailEvents());
 * audit.record({ event: "ConfigReloaded", changed: ["policy.maxRecipients"], restart_required: [] });
 * await audit.close();
 * await Deno.remove(path);
 * ```
 */
export async function startAudit(options: AuditOptions, events?: MailEvents): Promise<AuditTrail> {
  const output = openAuditOutput(targetOf(options));
  await setAuditSink(auditSink({ redact: options.redact, write: output.write }));
  const log = new AuditLog();
  const unfollow = events === undefined ? () => {} : log.follow(events);
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      unfollow();
      await setAuditSink(undefined);
      output.close();
    })();
  return { record: (event) => log.record(event), close, [Symbol.asyncDispose]: close };
}

function targetOf(options: AuditOptions): AuditTarget {
  if (options.sink === "stdout") return { sink: "stdout" };
  if (options.path === undefined) {
    throw new TypeError('Cannot open the audit trail: sink "file" needs a path');
  }
  return { sink: "file", path: options.path };
}
