import type { DomainPolicy } from "../config/mod.ts";
import type { QueuedMessage, QueueStore } from "../queue/mod.ts";
import { classifyReply, type DeliveryOutcome } from "./classify.ts";
import { deliverToMaildir } from "./maildir.ts";
import type { Destination, NextHop } from "./route.ts";
import { type ConnectionPool, poolKey } from "./connection_pool.ts";
import type { HostLimiter, HostOutcome } from "./host_limiter.ts";
import { HostSlots } from "./_host_slots.ts";
import {
  openSmtpConnection,
  type SmtpClientConnection,
  type SmtpClientOptions,
  type SmtpClientTimeouts,
  type SmtpDeliveryRequest,
} from "./smtp_client.ts";
import { getLogger } from "../observe/mod.ts";
import type { ClientTlsInfo, TransactionResult } from "../smtp/mod.ts";
import { transactionDsn } from "./dsn_request.ts";
import { traceConnect, traceTransaction } from "./_client_trace.ts";
import {
  checkDeliveredTls,
  type MtaStsReporter,
  reportTlsRefused,
  stsConnectionSettings,
  stsDeferral,
} from "./mta_sts.ts";
import { tlsSessionOutcome, type TlsSessionSink } from "./tls_rpt_session.ts";
import { isTlsReportMessage } from "../tls_rpt/mod.ts";

const logger = getLogger(["empath", "delivery"]);

/**
 * One recipient's outcome, with the server that gave it when one did, and for a delivery the
 * action a success DSN reports (RFC 3464 §2.3.3): `delivered` for final delivery (Maildir,
 * LMTP), `relayed` for a next hop without DSN; absent when the next hop offered DSN and took
 * the NOTIFY request over (RFC 3461 §6.2.1).
 */
export type Outcome = DeliveryOutcome & {
  readonly server?: string;
  readonly successAction?: "delivered" | "relayed";
};

/** Per-recipient outcomes of delivering to one destination. */
export type Outcomes = Map<string, Outcome>;

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
  /** The trust store for MX certificates under an MTA-STS policy; absent: default roots. */
  readonly mtaStsCaCerts?: readonly string[];
  /** Where MTA-STS policy failures are reported. @default {() => {}} */
  readonly reportMtaSts?: MtaStsReporter;
  /** Where each new MX connection's TLS outcome goes (SMTP TLS Reporting); absent: nowhere. */
  readonly tlsSessions?: TlsSessionSink;
  /**
   * How long a message may wait for a connection slot when every next hop is
   * at its connection limit, before it is deferred. @default {30000}
   */
  readonly hostWaitMs?: number;
  /**
   * Aborted when delivery stops for good (shutdown): open connections are
   * closed and waits end, so attempts finish at once with `deferred` outcomes.
   */
  readonly signal?: AbortSignal;
}

/** The shared connection state of a {@link DestinationSender}. */
export interface SenderConnections {
  /** Idle connections kept for reuse. */
  readonly pool: ConnectionPool<SmtpClientConnection>;
  /** The per-host concurrency window for a given `max_connections_per_host`. */
  readonly hostLimiter: (maxPerHost: number) => HostLimiter;
}

/** What {@link DestinationSender} delivers over SMTP: one message to one domain's recipients. */
interface SmtpJob {
  readonly destination: Extract<Destination, { kind: "smtp" }>;
  readonly message: QueuedMessage;
  readonly recipients: string[];
  readonly domain: string;
}

/** A hop whose connection limit is reached. */
const HOST_BUSY = Symbol("host-busy");

/** Why a hop gave no transaction result; `tls` when STARTTLS was missing or failed. */
interface HopFailure {
  readonly reason: string;
  readonly tls: boolean;
}

/**
 * Delivers one message to the recipients of one domain at a resolved
 * destination: into Maildirs, or over SMTP/LMTP trying each next hop in order
 * until one gives a transaction result (RFC 5321 §5.1: try the next MX on a
 * connection failure or a 4xx greeting).
 *
 * SMTP connections come from the {@link ConnectionPool} when one to the same
 * hop is idle (after RSET), and go back to it after the transaction. Each
 * transaction holds a slot of its host's {@link HostLimiter} window (Postfix
 * counts deliveries in progress the same way; idle cached connections hold
 * none); a host at its limit is skipped for the next hop, then waited for up
 * to `hostWaitMs`, then the recipients are deferred — never failed.
 */
export class DestinationSender {
  readonly #queue: QueueStore;
  readonly #settings: SenderSettings;
  readonly #pool: ConnectionPool<SmtpClientConnection>;
  readonly #hosts: HostSlots;
  readonly #hostWaitMs: number;

  /**
   * @param queue Where message bodies are read from.
   * @param settings Names, policies, timeouts.
   * @param connections The connection pool and host limiters, shared by all attempts.
   */
  constructor(queue: QueueStore, settings: SenderSettings, connections: SenderConnections) {
    this.#queue = queue;
    this.#settings = settings;
    this.#pool = connections.pool;
    this.#hosts = new HostSlots(connections.hostLimiter, settings.signal);
    this.#hostWaitMs = settings.hostWaitMs ?? 30_000;
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
        return all(recipients, {
          kind: "deferred",
          reason: destination.reason,
          ...(destination.reply === undefined ? {} : { reply: destination.reply }),
        });
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
      const reply = await deliverToMaildir(target, source, recipient);
      outcomes.set(recipient, {
        ...classifyReply(reply),
        server: "maildir",
        successAction: "delivered",
      });
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
    const busy: NextHop[] = [];
    const job = { destination, message, recipients, domain };
    let tlsFailed = false;
    const failed = (hop: NextHop, failure: HopFailure | typeof HOST_BUSY) => {
      const why = failure === HOST_BUSY ? "host connection limit reached" : failure.reason;
      reasons.push(`${hop.name}[${hop.address}]:${hop.port}: ${why}`);
      if (failure === HOST_BUSY || !failure.tls || destination.mtaSts === undefined) return;
      tlsFailed = true;
      reportTlsRefused(destination.mtaSts, hop.name, failure.reason, this.#reportMtaSts);
    };
    // RFC 5321 §5.1 order; a hop at its connection limit is skipped at first,
    // and waited for only when no other hop gave a result.
    for (const hop of destination.hops) {
      const result = await this.#tryHop(hop, job, 0);
      if (result instanceof Map) return result;
      if (result === HOST_BUSY) busy.push(hop);
      else failed(hop, result);
    }
    for (const [index, hop] of busy.entries()) {
      const result = await this.#tryHop(hop, job, index === 0 ? this.#hostWaitMs : 0);
      if (result instanceof Map) return result;
      failed(hop, result);
    }
    const reason = `All next hops failed: ${reasons.join("; ") || "none"}`;
    // RFC 8461 §5: under an enforced policy, no verified TLS means no delivery now.
    if (tlsFailed && destination.mtaSts?.mode === "enforce") {
      return all(recipients, stsDeferral(domain, reason));
    }
    return all(recipients, { kind: "deferred", reason });
  }

  get #reportMtaSts(): MtaStsReporter {
    return this.#settings.reportMtaSts ?? (() => {});
  }

  /** Delivers through one hop; returns outcomes, or why the next hop should be tried. */
  async #tryHop(
    hop: NextHop,
    job: SmtpJob,
    waitMs: number,
  ): Promise<Outcomes | HopFailure | typeof HOST_BUSY> {
    const max = this.#settings.policyFor(job.domain).maxConnectionsPerHost;
    if (!await this.#hosts.acquire(hop.address, max, waitMs)) return HOST_BUSY;
    const attempt = { outcome: "neutral" as HostOutcome };
    try {
      return await this.#deliverVia(hop, job, attempt);
    } finally {
      this.#hosts.release(hop.address, max, attempt.outcome);
    }
  }

  /** One transaction on a pooled or new connection; a dead pooled connection gets one retry. */
  async #deliverVia(
    hop: NextHop,
    job: SmtpJob,
    attempt: { outcome: HostOutcome },
  ): Promise<Outcomes | HopFailure> {
    const options = this.#connectionOptions(hop, job);
    const key = poolKey({
      ...options,
      address: hop.address,
      name: hop.name,
      authUser: options.auth?.username,
      lmtp: job.destination.lmtp,
    });
    let connection = await this.#pool.take(key);
    let reused = connection !== undefined;
    while (true) {
      if (connection === undefined) {
        const opened = await traceConnect(hop, () => openSmtpConnection(options));
        this.#recordTlsSession({ ...job, hop, tls: options.tls, opened });
        if (opened.kind !== "connected") {
          attempt.outcome = congestion(opened) ? "congestion" : "neutral";
          return describe(opened);
        }
        connection = opened.connection;
      }
      const open = connection;
      const result = await traceTransaction(hop, reused, () => open.deliver(this.#request(job)));
      if (result.kind === "transaction") {
        this.#transactionDone(hop, job, { tls: result.tls, reused });
        await this.#pool.give(key, connection);
        const outcomes = recipientOutcomes(hop, result, job.destination.lmtp === true);
        attempt.outcome = transactionOutcome(outcomes, result);
        return outcomes;
      }
      await connection.close();
      // The server may drop a cached connection between RSET and MAIL.
      if (reused && result.kind === "connection-failed") {
        reused = false;
        connection = undefined;
        continue;
      }
      attempt.outcome = congestion(result) ? "congestion" : "neutral";
      return describe(result);
    }
  }

  /** Logs a completed transaction and checks its TLS against an MTA-STS policy in testing mode. */
  #transactionDone(
    hop: NextHop,
    job: SmtpJob,
    { tls, reused }: { tls: ClientTlsInfo | undefined; reused: boolean },
  ): void {
    logger.info("Message {message_id}: transaction with {host} [{address}] over {tls}", {
      message_id: job.message.id,
      domain: job.domain,
      host: hop.name,
      address: hop.address,
      tls: tls ? `${tls.version} ${tls.cipher}` : "plaintext",
      reused,
    });
    const requirement = job.destination.mtaSts;
    if (requirement?.mode === "testing") {
      checkDeliveredTls(requirement, hop.name, tls, this.#reportMtaSts);
    }
  }

  /** Tells SMTP TLS Reporting how a new connection went, if it is one to report. */
  #recordTlsSession(session: Parameters<typeof tlsSessionOutcome>[0]): void {
    const outcome = this.#settings.tlsSessions && tlsSessionOutcome(session);
    if (outcome !== undefined) this.#settings.tlsSessions?.record(outcome);
  }

  #connectionOptions(hop: NextHop, job: SmtpJob): SmtpClientOptions {
    const { destination, domain } = job;
    const policy = this.#settings.policyFor(domain);
    const route = destination.route;
    // RFC 8460 §5.3: a TLS report is delivered despite TLS failures (the configured TLS applies).
    const requirement = isTlsReportMessage(job.message) ? undefined : destination.mtaSts;
    const tls = stsConnectionSettings(requirement, {
      tls: route?.tls ?? (destination.lmtp ? "disabled" : policy.tls),
      verifyCertificates: route?.verifyCertificates ?? policy.verifyCertificates,
      caCerts: this.#settings.caCerts,
    }, this.#settings.mtaStsCaCerts);
    return {
      host: hop.address,
      port: hop.port,
      unixPath: hop.path,
      servername: hop.name,
      heloName: this.#settings.heloName,
      ...tls,
      auth: route?.auth,
      lmtp: destination.lmtp,
      timeouts: this.#settings.timeouts,
      signal: this.#settings.signal,
    };
  }

  #request({ message, recipients }: SmtpJob): SmtpDeliveryRequest {
    return {
      reversePath: message.reversePath,
      recipients,
      size: message.size,
      needsSmtputf8: needsSmtputf8(message, recipients),
      eightBit: message.mailParams?.body === "8BITMIME",
      dsn: transactionDsn(message, recipients),
      body: this.#queue.readBody(message.id),
    };
  }
}

/** Each recipient's outcome of a completed transaction, with the server that gave it. */
function recipientOutcomes(hop: NextHop, result: TransactionResult, lmtp: boolean): Outcomes {
  const server = hop.path ?? `${hop.name} [${hop.address}]:${hop.port}`;
  // RFC 3461 §6.2.1: a next hop offering DSN got NOTIFY and reports itself.
  const handoff = result.dsn ? {} : { successAction: lmtp ? "delivered" : "relayed" } as const;
  return new Map(
    result.recipients.map((
      { address, reply },
    ) => [address, { ...classifyReply(reply), server, ...handoff }]),
  );
}

/** What a completed transaction tells the host limiter: a delivery succeeded, or `421` congestion. */
function transactionOutcome(outcomes: Outcomes, result: TransactionResult): HostOutcome {
  if ([...outcomes.values()].some((o) => o.kind === "delivered")) return "success";
  return result.recipients.some(({ reply }) => reply.code === 421) ? "congestion" : "neutral";
}

/** Connection failures and `421` tell the host limiter to back off. */
function congestion(failure: { kind: string; reply?: { code: number } }): boolean {
  return failure.kind === "connection-failed" || failure.reply?.code === 421;
}

function describe(
  failure: { kind: string; reason: string; reply?: { code: number; lines: string[] } },
): HopFailure {
  const reply = failure.reply ? ` (${failure.reply.code} ${failure.reply.lines.join(" ")})` : "";
  return {
    reason: `${failure.kind}: ${failure.reason}${reply}`,
    tls: failure.kind === "tls-unavailable",
  };
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
