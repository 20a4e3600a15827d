/**
 * Queues report emails through the normal spool path, like any message.
 *
 * @module
 */
import { type MessageSigning, signingSpool } from "../dkim/mod.ts";
import type { QueuedMessage, QueueStore } from "../queue/mod.ts";

/**
 * `receivedFrom.listener` of the report messages Empath queues. With the null reverse path it
 * marks a message as a TLS report ({@linkcode isTlsReportMessage}).
 */
export const TLS_REPORT_LISTENER = "tls-rpt";

/** The port that queues one report email. */
export interface ReportMailer {
  /**
   * Queues `message` (CRLF text, header and body) to `to` with the null reverse path.
   *
   * @returns The queue id.
   * @throws {SpoolError} When the queue cannot store it.
   */
  send(to: string, message: string): Promise<string>;
}

/** Options of {@linkcode QueueReportMailer}. */
export interface QueueReportMailerOptions {
  /** This server's host name, the `helo` of the record. */
  readonly hostname: string;
  /** DKIM signing (RFC 8460 §5.3 wants reports signed); absent: unsigned. */
  readonly dkim?: MessageSigning;
  /** Told the id of each report queued, so delivery looks at it at once. */
  readonly onQueued?: (id: string) => void;
}

/**
 * Queues report emails with the null reverse path `<>` (so that no bounce can ever come back:
 * RFC 8460 §3 allows it) and `receivedFrom.listener` {@linkcode TLS_REPORT_LISTENER}, signed
 * with DKIM when a key matches the `From:` domain.
 *
 * @example Usage
 * ```ts
 * import { QueueReportMailer } from "./report_mailer.ts";
 * import { openMemoryQueue } from "../queue/mod.ts";
 * import assert from "node:assert/strict";
 *
 * await using queue = openMemoryQueue({ clock: { now: () => Date.now() } });
 * const mailer = new QueueReportMailer(queue, { hostname: "mx.example.test" });
 * const id = await mailer.send("reports@example.org", "Subject: x\r\n\r\nreport\r\n");
 * assert.equal((await queue.get(id))?.reversePath, "");
 * ```
 */
export class QueueReportMailer implements ReportMailer {
  readonly #queue: Pick<QueueStore, "createSpool">;
  readonly #options: QueueReportMailerOptions;

  /**
   * @param queue Where reports are spooled.
   * @param options Host name, signing and the wake-up hook.
   */
  constructor(queue: Pick<QueueStore, "createSpool">, options: QueueReportMailerOptions) {
    this.#queue = queue;
    this.#options = options;
  }

  /**
   * Queues one report email.
   *
   * @param to The recipient address.
   * @param message The message, CRLF line endings.
   * @returns The queue id.
   * @throws {SpoolError} When the queue cannot store it.
   */
  async send(to: string, message: string): Promise<string> {
    const signer = this.#options.dkim?.start();
    const spooled = this.#queue.createSpool();
    const spool = signer === undefined ? spooled : signingSpool(spooled, signer);
    try {
      await spool.write(new TextEncoder().encode(message));
      const queued = await spool.commit({
        reversePath: "",
        recipients: [to],
        receivedFrom: {
          ip: "127.0.0.1",
          helo: this.#options.hostname,
          listener: TLS_REPORT_LISTENER,
        },
      });
      this.#options.onQueued?.(queued.id);
      return queued.id;
    } catch (error) {
      await spool.abort();
      throw error;
    }
  }
}

/**
 * Whether a queued message is a TLS report Empath made: the null reverse path and
 * `receivedFrom.listener` {@linkcode TLS_REPORT_LISTENER}. Its delivery is never counted in a
 * report (RFC 8460 §5.3: the report's own session should not be reported), so reports cannot
 * feed on themselves.
 *
 * @param message The message.
 * @returns Whether it is a TLS report.
 *
 * @example Usage
 * ```ts
 * import { isTlsReportMessage } from "./report_mailer.ts";
 * import assert from "node:assert/strict";
 *
 * const report = { reversePath: "", receivedFrom: { ip: "127.0.0.1", helo: "mx", listener: "tls-rpt" } };
 * assert.equal(isTlsReportMessage(report), true);
 * assert.equal(isTlsReportMessage({ ...report, reversePath: "a@example.org" }), false);
 * ```
 */
export function isTlsReportMessage(
  message: Pick<QueuedMessage, "reversePath" | "receivedFrom">,
): boolean {
  return message.reversePath === "" && message.receivedFrom.listener === TLS_REPORT_LISTENER;
}
