/**
 * Builds and submits the reports of recorded periods (RFC 8460 §4, §5): one per policy domain
 * and period, to every destination of the domain's `_smtp._tls` TXT record.
 *
 * @module
 */
import type { TxtResolver } from "../dns/mod.ts";
import { getLogger, type TlsRptMetrics } from "../observe/mod.ts";
import type { PendingTlsReport, TlsReportPeriod, TlsReportStore } from "../queue/mod.ts";
import { formatMessageDate, parsePath } from "../smtp/mod.ts";
import type { ReportPoster } from "./https_poster.ts";
import {
  buildTlsReport,
  gzipReport,
  reportFileName,
  reportRange,
  type TlsReportSubmitter,
} from "./report.ts";
import type { ReportMailer } from "./report_mailer.ts";
import { buildReportMessage } from "./report_message.ts";
import { selectTlsRptRecord } from "./txt_record.ts";

const logger = getLogger(["empath", "tls-rpt"]);

/** Data and submissions older than this are dropped when they still cannot be sent. */
const MAX_AGE_MS = 7 * 86_400_000;
/** Largest gzipped report kept for another try (a Deno KV value is at most 64 KiB). */
const MAX_PENDING_BYTES = 60_000;
const HTTPS_REGEXP = /^https:/i;

/** The effects of {@linkcode TlsReportSender}. */
export interface TlsReportSenderDeps {
  readonly store: TlsReportStore;
  /** Looks up `_smtp._tls.<domain>` (a `CachingResolver` fits). */
  readonly dns: TxtResolver;
  readonly mailer: ReportMailer;
  readonly poster: ReportPoster;
  readonly clock: { now(): number };
  /** Counts submissions by transport and outcome. */
  readonly metrics?: TlsRptMetrics;
}

/** What one run did. */
export interface TlsReportRunSummary {
  /** Reports built: one per policy domain and period with sessions and destinations. */
  readonly reports: number;
  /** Submissions that succeeded (a `mailto:` report queued, an `https:` POST answered 2xx). */
  readonly submitted: number;
  /** Submissions that failed; the retryable ones wait in `pending`. */
  readonly failed: number;
  /** Submissions waiting for the next run. */
  readonly pending: number;
}

/** A report ready for one destination. */
type Submission = Omit<PendingTlsReport, "id" | "attempts" | "createdAt">;

/** What one submission gave. */
type SubmitResult =
  | { readonly ok: true; readonly detail: string }
  | { readonly ok: false; readonly reason: string; readonly permanent: boolean };

/**
 * Sends SMTP TLS reports. A run reports every period that has ended (with `includeCurrent`,
 * the current one too, up to now: the next report of that period begins there), for each
 * policy domain with a usable `_smtp._tls` TXT record: the JSON report is gzipped and queued as
 * an email for each `mailto:` destination, POSTed to each `https:` one. Reported counts are
 * removed; a submission that failed is kept and tried again at the next run, for up to 7 days.
 * A domain without a record has its counts dropped; a DNS failure keeps them for the next run.
 * Runs never overlap: a run asked for during another one starts after it.
 *
 * @example Usage
 * ```ts ignore
 * const sender = new TlsReportSender({ store: queue.tlsReports, dns, mailer, poster, clock }, submitter);
 * const summary = await sender.run({ includeCurrent: true });
 * ```
 */
export class TlsReportSender {
  readonly #deps: TlsReportSenderDeps;
  readonly #submitter: TlsReportSubmitter;
  #tail: Promise<unknown> = Promise.resolve();

  /**
   * @param deps Store, DNS, transports, clock and metrics.
   * @param submitter Who the reports come from.
   */
  constructor(deps: TlsReportSenderDeps, submitter: TlsReportSubmitter) {
    this.#deps = deps;
    this.#submitter = submitter;
  }

  /**
   * Retries pending submissions, then reports the periods that ended (and, with
   * `includeCurrent`, the current one).
   *
   * @param options Whether to report the current period up to now.
   * @returns What the run did.
   * @throws {SpoolError} When the queue's database fails.
   */
  run(options: { readonly includeCurrent?: boolean } = {}): Promise<TlsReportRunSummary> {
    const next = this.#tail.then(() => this.#run(options.includeCurrent ?? false));
    this.#tail = next.catch(() => {});
    return next;
  }

  async #run(includeCurrent: boolean): Promise<TlsReportRunSummary> {
    const now = this.#deps.clock.now();
    const counts = { reports: 0, submitted: 0, failed: 0 };
    for (const pending of await this.#deps.store.pending()) {
      await this.#submit(pending, counts, pending);
    }
    for (const period of await this.#deps.store.periods()) {
      if (period.end > now && !includeCurrent) continue;
      await this.#reportPeriod(period, Math.min(period.end, now), counts);
    }
    const pending = (await this.#deps.store.pending()).length;
    return { ...counts, pending };
  }

  /** Reports `period` up to `to` (milliseconds) and removes what was reported. */
  async #reportPeriod(
    period: TlsReportPeriod,
    to: number,
    counts: { reports: number; submitted: number; failed: number },
  ): Promise<void> {
    const { store, clock } = this.#deps;
    if (period.policies.length === 0) return await store.settle(period, to);
    const destinations = await this.#destinations(period.domain);
    if (destinations === undefined) {
      if (clock.now() - period.end <= MAX_AGE_MS) return;
      logger.warn("TLS report for {domain} dropped: its TLSRPT record could not be looked up", {
        domain: period.domain,
      });
      return await store.settle(period, to);
    }
    if (destinations.length > 0) {
      const range = reportRange(period.from, to);
      const report = buildTlsReport(period.domain, period.policies, {
        submitter: this.#submitter,
        range,
      });
      counts.reports++;
      const built = {
        domain: period.domain,
        reportId: report["report-id"],
        fileName: reportFileName(this.#submitter.domain, period.domain, range),
        range,
        body: await gzipReport(report),
      };
      for (const uri of destinations) await this.#submit({ ...built, uri }, counts);
    }
    await store.settle(period, to);
  }

  /** The usable `rua` URIs of `domain`; none without a valid record; `undefined` on a DNS failure. */
  async #destinations(domain: string): Promise<readonly string[] | undefined> {
    const txt = await this.#deps.dns.resolveTxt(`_smtp._tls.${domain}`);
    if (txt.kind === "temporary-failure") {
      logger.info("Cannot look up the TLSRPT record of {domain}: {reason}; trying next run", {
        domain,
        reason: txt.reason,
      });
      return undefined;
    }
    const record = txt.kind === "txt" ? selectTlsRptRecord(txt.texts) : { kind: "none" as const };
    if (record.kind === "record") return record.rua;
    logger.debug("No TLS report for {domain}: {reason}", {
      domain,
      reason: record.kind === "invalid" ? record.reason : "no TLSRPT record",
    });
    return [];
  }

  /** Submits to one destination; a failure is kept for the next run unless it cannot succeed. */
  async #submit(
    submission: Submission,
    counts: { submitted: number; failed: number },
    previous?: PendingTlsReport,
  ): Promise<void> {
    const { store, clock, metrics } = this.#deps;
    const result = await this.#deliver(submission);
    metrics?.reportSubmitted(HTTPS_REGEXP.test(submission.uri) ? "https" : "mailto", result.ok);
    const where = {
      domain: submission.domain,
      uri: submission.uri,
      report_id: submission.reportId,
    };
    if (result.ok) {
      counts.submitted++;
      logger.info("TLS report for {domain} sent to {uri}: {detail}", { ...where, ...result });
      if (previous !== undefined) await store.deletePending(previous.id);
      return;
    }
    counts.failed++;
    const now = clock.now();
    const tooOld = previous !== undefined && now - previous.createdAt > MAX_AGE_MS;
    if (result.permanent || tooOld || submission.body.byteLength > MAX_PENDING_BYTES) {
      logger.warn("TLS report for {domain} to {uri} given up: {reason}", { ...where, ...result });
      if (previous !== undefined) await store.deletePending(previous.id);
      return;
    }
    logger.warn("TLS report for {domain} to {uri} failed: {reason}; trying next run", {
      ...where,
      ...result,
    });
    await store.savePending({
      ...submission,
      id: previous?.id ?? crypto.randomUUID(),
      attempts: (previous?.attempts ?? 0) + 1,
      createdAt: previous?.createdAt ?? now,
    });
  }

  async #deliver(submission: Submission): Promise<SubmitResult> {
    const { uri } = submission;
    if (HTTPS_REGEXP.test(uri)) {
      const posted = await this.#deps.poster.post(uri, submission.body);
      return posted.kind === "sent"
        ? { ok: true, detail: "accepted" }
        : { ok: false, reason: posted.reason, permanent: false };
    }
    const to = mailtoAddress(uri);
    if (to === undefined) {
      return { ok: false, reason: "not a usable mailto: address", permanent: true };
    }
    const message = buildReportMessage({
      ...submission,
      submitter: this.#submitter,
      gzip: submission.body,
      to,
      date: formatMessageDate(new Date(this.#deps.clock.now())),
      boundary: `=_tlsrpt_${submission.range.begin}_${submission.range.end}`,
    });
    try {
      return { ok: true, detail: `queued as ${await this.#deps.mailer.send(to, message)}` };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return { ok: false, reason, permanent: false };
    }
  }
}

/** The address of a `mailto:` URI (RFC 6068), if it is one valid mailbox. */
function mailtoAddress(uri: string): string | undefined {
  if (!/^mailto:/i.test(uri)) return undefined;
  const encoded = uri.slice("mailto:".length).split("?")[0];
  try {
    const path = parsePath(`<${decodeURIComponent(encoded)}>`, { utf8: false });
    return path.kind === "mailbox" && path.domain !== "" ? path.address : undefined;
  } catch {
    return undefined;
  }
}
