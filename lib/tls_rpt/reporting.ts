/**
 * SMTP TLS Reporting assembled from its parts: the session recorder delivery reports to, the
 * report sender with its transports, and its schedule. The composition root builds one.
 *
 * @module
 */
import type { TxtResolver } from "../dns/mod.ts";
import type { MessageSigning } from "../dkim/mod.ts";
import type { PolicyFetcher } from "../mta_sts/mod.ts";
import type { TlsRptMetrics } from "../observe/mod.ts";
import type { QueueStore, TlsFailureCount } from "../queue/mod.ts";
import { HttpsReportPoster, type ReportPoster } from "./https_poster.ts";
import type { TlsReportSubmitter } from "./report.ts";
import { QueueReportMailer } from "./report_mailer.ts";
import { TlsReportSchedule } from "./report_schedule.ts";
import { type TlsReportRunSummary, TlsReportSender } from "./report_sender.ts";
import { policyFetchResultType, TLS_RPT_RESULT_TYPES } from "./result_type.ts";
import { TlsSessionRecorder } from "./session_recorder.ts";

/** `[delivery.tls_rpt]` as the reporting needs it, with defaults resolved. */
export interface TlsReportingSettings {
  /** Record sessions and send reports on the schedule. */
  readonly enabled: boolean;
  /** The reporting period, in milliseconds. */
  readonly intervalMs: number;
  readonly submitter: TlsReportSubmitter;
  /** This server's host name (the queued reports' `helo`). */
  readonly hostname: string;
  /** PEM CAs trusted besides the default roots for `https:` destinations. */
  readonly caCerts?: readonly string[];
}

/** The effects of {@linkcode createTlsReporting}. */
export interface TlsReportingDeps {
  readonly queue: Pick<QueueStore, "tlsReports" | "createSpool">;
  readonly dns: TxtResolver;
  readonly clock: { now(): number };
  /** Signs report emails whose `From:` domain has a key. */
  readonly dkim?: MessageSigning;
  readonly metrics?: TlsRptMetrics;
  /** Told the queue id of each report email, so delivery looks at it at once. */
  readonly onQueued?: (id: string) => void;
  /** Submits to `https:` destinations; absent: an `HttpsReportPoster` with `caCerts`. */
  readonly poster?: ReportPoster & { close?(): void };
}

/** What `GET /v1/delivery/tls-rpt` shows. */
export interface TlsReportSnapshot {
  readonly enabled: boolean;
  /** The recorded counts not yet reported, by period and policy domain. */
  readonly periods: readonly {
    readonly domain: string;
    readonly start: number;
    readonly end: number;
    readonly from: number;
    readonly policies: readonly {
      readonly type: string;
      readonly id?: string;
      readonly successes: number;
      readonly failures: readonly TlsFailureCount[];
    }[];
  }[];
  /** Submissions that failed and wait for the next run. */
  readonly pending: readonly {
    readonly id: string;
    readonly uri: string;
    readonly domain: string;
    readonly reportId: string;
    readonly attempts: number;
    readonly createdAt: number;
  }[];
}

/** SMTP TLS Reporting of a running instance. */
export interface TlsReporting {
  readonly enabled: boolean;
  /** Where delivery records sessions (records nothing while disabled). */
  readonly sessions: TlsSessionRecorder;
  /** `fetcher`, with its failures recorded as `sts-policy-*` failures of the domain. */
  observeFetcher(fetcher: PolicyFetcher): PolicyFetcher;
  /** The counts not yet reported and the pending submissions. */
  snapshot(): Promise<TlsReportSnapshot>;
  /** Reports everything recorded, the current period up to now included, and retries. */
  send(): Promise<TlsReportRunSummary>;
  /** Starts the schedule (when enabled). */
  start(): void;
  /** Stops the schedule, waits for a run and for recording writes, closes the HTTP client. */
  stop(): Promise<void>;
}

/**
 * Builds SMTP TLS Reporting over the queue's database, the DNS cache and the spool.
 *
 * @param settings Whether enabled, the period, the submitter, the trust store.
 * @param deps Queue, DNS, clock, signing, metrics, the delivery wake-up.
 * @returns The reporting; nothing runs until {@linkcode TlsReporting.start}.
 *
 * @example Usage
 * ```ts
 * import { createTlsReporting } from "./reporting.ts";
 * import { openMemoryQueue } from "../queue/mod.ts";
 * import { CachingResolver } from "../dns/mod.ts";
 * import { FakeDnsBackend } from "../dns/testing.ts";
 * import assert from "node:assert/strict";
 *
 * const clock = { now: () => Date.now() };
 * await using queue = openMemoryQueue({ clock });
 * const reporting = createTlsReporting({
 *   enabled: true,
 *   intervalMs: 86_400_000,
 *   hostname: "mx.example.test",
 *   submitter: { organization: "Example", contact: "postmaster@mx.example.test", domain: "mx.example.test" },
 * }, { queue, dns: new CachingResolver(new FakeDnsBackend(), { clock }), clock });
 * assert.deepEqual((await reporting.snapshot()).periods, []);
 * await reporting.stop();
 * ```
 */
export function createTlsReporting(
  settings: TlsReportingSettings,
  deps: TlsReportingDeps,
): TlsReporting {
  const store = deps.queue.tlsReports;
  deps.metrics?.knownResults(["success", ...TLS_RPT_RESULT_TYPES]);
  const sessions = new TlsSessionRecorder(
    { store, clock: deps.clock, metrics: deps.metrics },
    { intervalMs: settings.intervalMs, enabled: () => settings.enabled },
  );
  const poster = deps.poster ?? new HttpsReportPoster({ caCerts: settings.caCerts });
  const mailer = new QueueReportMailer(deps.queue, {
    hostname: settings.hostname,
    dkim: deps.dkim,
    onQueued: deps.onQueued,
  });
  const sender = new TlsReportSender(
    { store, dns: deps.dns, mailer, poster, clock: deps.clock, metrics: deps.metrics },
    settings.submitter,
  );
  const schedule = new TlsReportSchedule(() => sender.run(), {
    intervalMs: settings.intervalMs,
    clock: deps.clock,
  });
  return {
    enabled: settings.enabled,
    sessions,
    observeFetcher: (fetcher) => recordingFetcher(fetcher, sessions),
    snapshot: () => snapshotOf(settings.enabled, store),
    send: () => sender.run({ includeCurrent: true }),
    start() {
      if (settings.enabled) schedule.start();
    },
    async stop() {
      await schedule.stop();
      await sessions.flush();
      poster.close?.();
    },
  };
}

/**
 * The submitter of `[delivery.tls_rpt]`: `organization` (default: the host name) and `contact`
 * (default: `postmaster@<hostname>`), whose domain is the submitter domain (RFC 8460 §5.3).
 *
 * @param config The host name and the optional settings.
 * @returns The submitter.
 *
 * @example Usage
 * ```ts
 * import { tlsReportSubmitter } from "./reporting.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(tlsReportSubmitter({ hostname: "mx.example.test" }), {
 *   organization: "mx.example.test",
 *   contact: "postmaster@mx.example.test",
 *   domain: "mx.example.test",
 * });
 * ```
 */
export function tlsReportSubmitter(
  config: { readonly hostname: string; readonly organization?: string; readonly contact?: string },
): TlsReportSubmitter {
  const contact = config.contact ?? `postmaster@${config.hostname}`;
  return {
    organization: config.organization ?? config.hostname,
    contact,
    domain: contact.slice(contact.lastIndexOf("@") + 1).toLowerCase(),
  };
}

function recordingFetcher(fetcher: PolicyFetcher, sessions: TlsSessionRecorder): PolicyFetcher {
  return {
    async fetchPolicy(domain) {
      const result = await fetcher.fetchPolicy(domain);
      if (result.kind === "failed") {
        sessions.record({
          domain,
          policy: { type: "sts", id: "", strings: [], mx: [] },
          failure: { resultType: policyFetchResultType(result.problem ?? "fetch-error") },
        });
      }
      return result;
    },
  };
}

async function snapshotOf(
  enabled: boolean,
  store: QueueStore["tlsReports"],
): Promise<TlsReportSnapshot> {
  const [periods, pending] = await Promise.all([store.periods(), store.pending()]);
  return {
    enabled,
    periods: periods.filter((period) => period.policies.length > 0).map((period) => ({
      domain: period.domain,
      start: period.start,
      end: period.end,
      from: period.from,
      policies: period.policies.map(({ policy, successes, failures }) => ({
        type: policy.type,
        ...(policy.type === "sts" ? { id: policy.id ?? "" } : {}),
        successes,
        failures,
      })),
    })),
    pending: pending.map(({ id, uri, domain, reportId, attempts, createdAt }) => ({
      id,
      uri,
      domain,
      reportId,
      attempts,
      createdAt,
    })),
  };
}
