/**
 * The aggregate report of RFC 8460 §4: its JSON, its id and file name, and its gzip encoding.
 *
 * @module
 */
import type { TlsFailureCount, TlsPolicyCounts, TlsRptPolicy } from "../queue/mod.ts";

/** One entry of `failure-details` (RFC 8460 §4.4). */
export interface TlsReportFailureDetail {
  "result-type": string;
  "sending-mta-ip"?: string;
  "receiving-mx-hostname"?: string;
  "receiving-ip"?: string;
  "failed-session-count": number;
  "failure-reason-code"?: string;
}

/** One entry of `policies` (RFC 8460 §4.4). */
export interface TlsReportPolicy {
  policy: {
    "policy-type": string;
    "policy-string"?: string[];
    "policy-domain": string;
    "mx-host"?: string[];
  };
  summary: {
    "total-successful-session-count": number;
    "total-failure-session-count": number;
  };
  "failure-details": TlsReportFailureDetail[];
}

/** The JSON report of RFC 8460 §4.4. */
export interface TlsReport {
  "organization-name": string;
  "date-range": { "start-datetime": string; "end-datetime": string };
  "contact-info": string;
  "report-id": string;
  policies: TlsReportPolicy[];
}

/** Who submits reports. */
export interface TlsReportSubmitter {
  /** `organization-name`. */
  readonly organization: string;
  /** `contact-info`: an email address. */
  readonly contact: string;
  /** The submitter's domain (RFC 8460 §5.3: the domain of `contact-info`). */
  readonly domain: string;
}

/** The time a report covers, in whole seconds since the epoch, both ends included. */
export interface ReportRange {
  readonly begin: number;
  readonly end: number;
}

/**
 * The seconds a report of `[from, to)` (milliseconds) covers: from the second of `from` to the
 * second before `to` (a UTC day is `00:00:00` to `23:59:59`, as in RFC 8460's example).
 *
 * @param from The first millisecond covered.
 * @param to The first millisecond not covered.
 * @returns Both ends in seconds; `end` is never before `begin`.
 *
 * @example Usage
 * ```ts
 * import { reportRange } from "./report.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(reportRange(Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 2)), {
 *   begin: 1704067200,
 *   end: 1704153599,
 * });
 * ```
 */
export function reportRange(from: number, to: number): ReportRange {
  const begin = Math.floor(from / 1000);
  return { begin, end: Math.max(begin, Math.ceil(to / 1000) - 1) };
}

/**
 * Builds the JSON report of one policy domain (RFC 8460 §4.4). `report-id` is
 * `<begin>.<end>.<policy-domain>@<submitter>`: unique per submitter, domain and time range.
 *
 * @param domain `policy-domain`.
 * @param policies What was counted, by policy.
 * @param options The submitter and the time range.
 * @returns The report.
 *
 * @example Usage
 * ```ts
 * import { buildTlsReport } from "./report.ts";
 * import assert from "node:assert/strict";
 *
 * const report = buildTlsReport("example.org", [{
 *   policy: { type: "no-policy-found", strings: [], mx: [] },
 *   successes: 3,
 *   failures: [],
 * }], {
 *   submitter: { organization: "Example Inc.", contact: "tlsrpt@mx.example.test", domain: "mx.example.test" },
 *   range: { begin: 1704067200, end: 1704153599 },
 * });
 * assert.equal(report["date-range"]["end-datetime"], "2024-01-01T23:59:59Z");
 * assert.equal(report.policies[0].summary["total-successful-session-count"], 3);
 * ```
 */
export function buildTlsReport(
  domain: string,
  policies: readonly TlsPolicyCounts[],
  options: { readonly submitter: TlsReportSubmitter; readonly range: ReportRange },
): TlsReport {
  const { submitter, range } = options;
  return {
    "organization-name": submitter.organization,
    "date-range": {
      "start-datetime": formatReportTime(range.begin),
      "end-datetime": formatReportTime(range.end),
    },
    "contact-info": submitter.contact,
    "report-id": reportId(domain, range, submitter.domain),
    policies: policies.map((counts) => reportPolicy(domain, counts)),
  };
}

/**
 * The `report-id` of a report: `<begin>.<end>.<policy-domain>@<submitter>`.
 *
 * @param domain `policy-domain`.
 * @param range The time range.
 * @param submitter The submitter's domain.
 * @returns The id.
 */
export function reportId(domain: string, range: ReportRange, submitter: string): string {
  return `${range.begin}.${range.end}.${domain}@${submitter}`;
}

/**
 * The file name of a gzipped report (RFC 8460 §5.3):
 * `<submitter>!<policy-domain>!<begin-timestamp>!<end-timestamp>.json.gz`.
 *
 * @param submitter The submitter's domain.
 * @param domain `policy-domain`.
 * @param range The time range, in seconds.
 * @returns The file name.
 *
 * @example Usage
 * ```ts
 * import { reportFileName } from "./report.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   reportFileName("mx.example.test", "example.org", { begin: 1704067200, end: 1704153599 }),
 *   "mx.example.test!example.org!1704067200!1704153599.json.gz",
 * );
 * ```
 */
export function reportFileName(submitter: string, domain: string, range: ReportRange): string {
  return `${submitter}!${domain}!${range.begin}!${range.end}.json.gz`;
}

/**
 * The report as gzipped JSON (`application/tlsrpt+gzip`, RFC 8460 §5.3).
 *
 * @param report The report.
 * @returns The gzip bytes.
 */
export async function gzipReport(report: TlsReport): Promise<Uint8Array<ArrayBuffer>> {
  const json = new Blob([JSON.stringify(report)]);
  const gzipped = json.stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(gzipped).arrayBuffer());
}

function reportPolicy(domain: string, counts: TlsPolicyCounts): TlsReportPolicy {
  const failures = counts.failures.reduce((sum, failure) => sum + failure.count, 0);
  return {
    policy: policyDescription(domain, counts.policy),
    summary: {
      "total-successful-session-count": counts.successes,
      "total-failure-session-count": failures,
    },
    "failure-details": counts.failures.map(failureDetail),
  };
}

function policyDescription(domain: string, policy: TlsRptPolicy): TlsReportPolicy["policy"] {
  if (policy.type === "no-policy-found") {
    return { "policy-type": "no-policy-found", "policy-domain": domain };
  }
  return {
    "policy-type": policy.type,
    "policy-string": [...policy.strings],
    "policy-domain": domain,
    "mx-host": [...policy.mx],
  };
}

function failureDetail(failure: TlsFailureCount): TlsReportFailureDetail {
  return {
    "result-type": failure.resultType,
    ...(failure.sendingMtaIp === undefined ? {} : { "sending-mta-ip": failure.sendingMtaIp }),
    ...(failure.receivingMxHostname === undefined
      ? {}
      : { "receiving-mx-hostname": failure.receivingMxHostname }),
    ...(failure.receivingIp === undefined ? {} : { "receiving-ip": failure.receivingIp }),
    "failed-session-count": failure.count,
    ...(failure.failureReasonCode === undefined
      ? {}
      : { "failure-reason-code": failure.failureReasonCode }),
  };
}

/**
 * A report time: RFC 3339 date-time in UTC, whole seconds (`2024-01-01T00:00:00Z`).
 *
 * @param seconds Seconds since the epoch.
 * @returns The date-time.
 *
 * @example Usage
 * ```ts
 * import { formatReportTime } from "./report.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatReportTime(1704067200), "2024-01-01T00:00:00Z");
 * ```
 */
export function formatReportTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}
