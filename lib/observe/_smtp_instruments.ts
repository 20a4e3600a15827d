// The SMTP receiving side's instruments, behind the SmtpMetrics port.
import type { Counter, Meter, UpDownCounter } from "@opentelemetry/api";
import type { SmtpMetrics } from "./metric_ports.ts";

const REPLY_CLASSES = ["2xx", "3xx", "4xx", "5xx"] as const;

/** The reasons a listener refuses a connection with, each started at 0. */
const REJECTIONS = ["global-limit", "per-ip-limit", "shutting-down"];

/** Counters and gauges of connections, transactions, replies and TLS. */
export class SmtpInstruments implements SmtpMetrics {
  readonly #connections: Counter;
  readonly #open: UpDownCounter;
  readonly #rejected: Counter;
  readonly #transactions: Counter;
  readonly #messages: Counter;
  readonly #bytes: Counter;
  /** Replies per class, the most frequent event: plain numbers, read at scrape time. */
  readonly #replies = REPLY_CLASSES.map(() => 0);
  readonly #tls: { readonly handshakes: Counter; readonly failures: Counter };

  /**
   * @param meter Where the instruments are created.
   * @param listeners Listener names whose series start at 0 (others appear when first used).
   */
  constructor(meter: Meter, listeners: readonly string[]) {
    this.#connections = meter.createCounter("empath_smtp_connections_total", {
      description: "SMTP connections admitted",
    });
    this.#open = meter.createUpDownCounter("empath_smtp_open_connections", {
      description: "SMTP connections open now",
    });
    this.#rejected = meter.createCounter("empath_smtp_connections_rejected_total", {
      description: "SMTP connections refused with 421 before the greeting, by reason",
    });
    this.#transactions = meter.createCounter("empath_smtp_transactions_total", {
      description: "SMTP transactions started (MAIL FROM accepted)",
    });
    this.#messages = meter.createCounter("empath_smtp_messages_received_total", {
      description: "Messages received over SMTP and queued",
    });
    this.#bytes = meter.createCounter("empath_smtp_received_bytes_total", {
      description: "Message bytes received over SMTP and queued",
    });
    meter.createObservableCounter("empath_smtp_replies_total", {
      description: "SMTP replies sent, by class",
    }).addCallback((result) => {
      REPLY_CLASSES.forEach((replyClass, i) =>
        result.observe(this.#replies[i], { class: replyClass })
      );
    });
    this.#tls = {
      handshakes: meter.createCounter("empath_smtp_tls_handshakes_total", {
        description: "STARTTLS handshakes attempted",
      }),
      failures: meter.createCounter("empath_smtp_tls_handshake_failures_total", {
        description: "STARTTLS handshakes that failed",
      }),
    };
    // Series that exist from the start make rate() and absence alerts work before traffic.
    for (const listener of listeners) this.#startAtZero(listener);
  }

  #startAtZero(listener: string): void {
    const counters = [
      this.#connections,
      this.#open,
      this.#transactions,
      this.#messages,
      this.#bytes,
    ];
    for (const counter of [...counters, this.#tls.handshakes, this.#tls.failures]) {
      counter.add(0, { listener });
    }
    for (const reason of REJECTIONS) this.#rejected.add(0, { listener, reason });
  }

  connectionOpened(listener: string): void {
    this.#connections.add(1, { listener });
    this.#open.add(1, { listener });
  }

  connectionClosed(listener: string): void {
    this.#open.add(-1, { listener });
  }

  connectionRejected(listener: string, reason: string): void {
    this.#rejected.add(1, { listener, reason });
  }

  transactionStarted(listener: string): void {
    this.#transactions.add(1, { listener });
  }

  messageReceived(listener: string, bytes: number): void {
    this.#messages.add(1, { listener });
    this.#bytes.add(bytes, { listener });
  }

  replySent(code: number): void {
    const index = Math.floor(code / 100) - 2;
    if (index >= 0 && index < this.#replies.length) this.#replies[index]++;
  }

  tlsHandshake(listener: string, ok: boolean): void {
    this.#tls.handshakes.add(1, { listener });
    if (!ok) this.#tls.failures.add(1, { listener });
  }
}
