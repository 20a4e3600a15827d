/**
 * SMTP TLS Reporting (RFC 8460) for outbound delivery: counting the TLS sessions Empath attempts
 * with recipient domains' MX hosts, and sending each domain the daily aggregate report it asks
 * for in its `_smtp._tls.<domain>` TXT record.
 *
 * - {@linkcode TlsSessionRecorder}: counts session outcomes by policy domain, policy and period
 *   in the queue's database (`QueueStore.tlsReports`), never holding a delivery up;
 * - {@linkcode classifyCertificateError} / {@linkcode policyFetchResultType}: TLS and MTA-STS
 *   failures as RFC 8460 result types;
 * - {@linkcode selectTlsRptRecord} / {@linkcode parseTlsRptRecord}: the TXT record (§3);
 * - {@linkcode buildTlsReport}, {@linkcode gzipReport}, {@linkcode reportFileName}: the JSON
 *   report (§4) and its gzip file (§5.3);
 * - {@linkcode buildReportMessage}, {@linkcode QueueReportMailer}: the `multipart/report`
 *   email (§5.3), queued with the null reverse path;
 * - {@linkcode HttpsReportPoster}: the `https:` POST (§5.2);
 * - {@linkcode TlsReportSender}, {@linkcode TlsReportSchedule}: the daily run;
 * - {@linkcode createTlsReporting}: all of it, for the composition root.
 *
 * The loop rule: a report email's own delivery is never recorded
 * ({@linkcode isTlsReportMessage}: null reverse path and listener `tls-rpt`), so reports never
 * cause reports.
 *
 * @example Build a report
 * ```ts
 * import { buildTlsReport, reportRange } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const report = buildTlsReport("example.org", [{
 *   policy: { type: "no-policy-found", strings: [], mx: [] },
 *   successes: 9,
 *   failures: [{ resultType: "starttls-not-supported", receivingMxHostname: "mx.example.org", count: 1 }],
 * }], {
 *   submitter: { organization: "Example", contact: "postmaster@mx.example.test", domain: "mx.example.test" },
 *   range: reportRange(Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 2)),
 * });
 * assert.equal(report.policies[0].summary["total-failure-session-count"], 1);
 * ```
 *
 * @module
 */
export {
  classifyCertificateError,
  policyFetchResultType,
  TLS_RPT_RESULT_TYPES,
  type TlsFailureClass,
  type TlsRptResultType,
} from "./result_type.ts";
export {
  formatTlsRptRecord,
  parseTlsRptRecord,
  selectTlsRptRecord,
  type TlsRptRecordResult,
} from "./txt_record.ts";
export {
  buildTlsReport,
  formatReportTime,
  gzipReport,
  reportFileName,
  reportId,
  type ReportRange,
  reportRange,
  type TlsReport,
  type TlsReportFailureDetail,
  type TlsReportPolicy,
  type TlsReportSubmitter,
} from "./report.ts";
export { buildReportMessage, type ReportMessageInput } from "./report_message.ts";
export {
  isTlsReportMessage,
  QueueReportMailer,
  type QueueReportMailerOptions,
  type ReportMailer,
  TLS_REPORT_LISTENER,
} from "./report_mailer.ts";
export {
  HttpsReportPoster,
  type HttpsReportPosterOptions,
  type PostResult,
  type ReportPoster,
} from "./https_poster.ts";
export {
  type TlsSessionOutcome,
  TlsSessionRecorder,
  type TlsSessionRecorderDeps,
  type TlsSessionRecorderOptions,
} from "./session_recorder.ts";
export {
  type TlsReportRunSummary,
  TlsReportSender,
  type TlsReportSenderDeps,
} from "./report_sender.ts";
export { nextRunAt, TlsReportSchedule, type TlsReportScheduleOptions } from "./report_schedule.ts";
export {
  createTlsReporting,
  type TlsReporting,
  type TlsReportingDeps,
  type TlsReportingSettings,
  type TlsReportSnapshot,
  tlsReportSubmitter,
} from "./reporting.ts";
