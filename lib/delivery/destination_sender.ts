import type { DomainPolicy } from "../config/mod.ts";
import type { QueuedMessage, QueueStore } from "../queue/mod.ts";
import { classifyReply, type DeliveryOutcome } from "./classify.ts";
import { deliverToMaildir } from "./maildir.ts";
import type { Destination, NextHop } from "./route.ts";
import { openSmtpConnection, type SmtpClientTimeouts } from "./smtp_client.ts";

/** Per-recipient outcomes of delivering to one destination. */
export type Outcomes = Map<string, DeliveryOutcome>;

/** Settings of a {@link DestinationSender}, as plain data. */
export interface SenderSettings {
  /** Name sent in EHLO/LHLO. */
  readonly heloName: string;
  /** The host name written into Maildir file names. */
  readonly hostname: string;
  /** TLS and connection policy for a recipient domain (defaults merged with overrides). */
  readonly policyFor: (domain: string) => DomainPolicy;
  readonly timeouts: Partial<SmtpClientTimeouts>;
  /** Extra CA certificates to trust (tests, private PKI). */
  readonly caCerts?: readonly string[];
}

/**
 * Delivers one message to the recipients of one domain at a resolved
 * destination: into Maildirs, or over SMTP/LMTP trying each next hop in order
 * until one gives a transaction result (RFC 5321 §5.1: try the next MX on a
 * connection failure or a 4xx greeting).
 */
export class DestinationSender {
  readonly #queue: QueueStore;
  readonly #settings: SenderSettings;

  constructor(queue: QueueStore, settings: SenderSettings) {
    this.#queue = queue;
    this.#settings = settings;
  }

  /** Delivers `message` to `recipients` (all in `domain`) at `destination`. */
  async send(
    destination: Destination,
    message: QueuedMessage,
    recipients: string[],
    domain: string,
  ): Promise<Outcomes> {
    switch (destination.kind) {
      case "failed":
        return all(recipients, {
          kind: "failed",
          reply: destination.reply,
          reason: destination.reason,
        });
      case "deferred":
        return all(recipients, { kind: "deferred", reason: destination.reason });
      case "maildir":
        return await this.#maildir(destination.root, message, recipients);
      case "smtp":
        return await this.#smtp(destination, message, recipients, domain);
    }
  }

  async #maildir(root: string, message: QueuedMessage, recipients: string[]): Promise<Outcomes> {
    const outcomes: Outcomes = new Map();
    const target = { root, hostname: this.#settings.hostname };
    const source = { ...message, body: () => this.#queue.readBody(message.id) };
    for (const recipient of recipients) {
      outcomes.set(recipient, classifyReply(await deliverToMaildir(target, source, recipient)));
    }
    return outcomes;
  }

  async #smtp(
    destination: Extract<Destination, { kind: "smtp" }>,
    message: QueuedMessage,
    recipients: string[],
    domain: string,
  ): Promise<Outcomes> {
    const reasons: string[] = [];
    for (const hop of destination.hops) {
      const result = await this.#tryHop(hop, destination, message, recipients, domain);
      if (result instanceof Map) return result;
      reasons.push(`${hop.name}[${hop.address}]:${hop.port}: ${result}`);
    }
    const reason = `All next hops failed: ${reasons.join("; ") || "none"}`;
    return all(recipients, { kind: "deferred", reason });
  }

  /** Delivers through one hop; returns outcomes, or why the next hop should be tried. */
  async #tryHop(
    hop: NextHop,
    destination: Extract<Destination, { kind: "smtp" }>,
    message: QueuedMessage,
    recipients: string[],
    domain: string,
  ): Promise<Outcomes | string> {
    const policy = this.#settings.policyFor(domain);
    const route = destination.route;
    const opened = await openSmtpConnection({
      host: hop.address,
      port: hop.port,
      servername: hop.name,
      heloName: this.#settings.heloName,
      tls: route?.tls ?? (destination.lmtp ? "disabled" : policy.tls),
      verifyCertificates: route?.verifyCertificates ?? policy.verifyCertificates,
      caCerts: this.#settings.caCerts,
      auth: route?.auth,
      lmtp: destination.lmtp,
      timeouts: this.#settings.timeouts,
    });
    if (opened.kind !== "connected") return describe(opened);
    await using connection = opened.connection;
    const result = await connection.deliver({
      reversePath: message.reversePath,
      recipients,
      size: message.size,
      needsSmtputf8: needsSmtputf8(message, recipients),
      eightBit: message.mailParams?.body === "8BITMIME",
      body: this.#queue.readBody(message.id),
    });
    if (result.kind !== "transaction") return describe(result);
    await connection.quit().catch(() => {});
    return new Map(result.recipients.map(({ address, reply }) => [address, classifyReply(reply)]));
  }
}

function describe(
  failure: { kind: string; reason: string; reply?: { code: number; lines: string[] } },
) {
  const reply = failure.reply ? ` (${failure.reply.code} ${failure.reply.lines.join(" ")})` : "";
  return `${failure.kind}: ${failure.reason}${reply}`;
}

function needsSmtputf8(message: QueuedMessage, recipients: string[]): boolean {
  if (message.mailParams?.smtputf8) return true;
  // deno-lint-ignore no-control-regex
  const ascii = /^[\x00-\x7f]*$/;
  return !ascii.test(message.reversePath) || recipients.some((r) => !ascii.test(r));
}

function all(recipients: string[], outcome: DeliveryOutcome): Outcomes {
  return new Map(recipients.map((address) => [address, outcome]));
}
