/**
 * The records of SMTP TLS Reporting (RFC 8460) that the queue keeps beside the messages: counts
 * of outbound TLS sessions by policy domain and period, and reports whose HTTPS submission
 * failed and waits for the next run. Plain, structured-clone data.
 *
 * @module
 */

/** RFC 8460 §4.4 `policy-type` values Empath records (no DANE: `tlsa` is never detected). */
export type TlsRptPolicyType = "sts" | "no-policy-found";

/** The policy a session was attempted under (RFC 8460 §4.4 `policy`). */
export interface TlsRptPolicy {
  readonly type: TlsRptPolicyType;
  /** The MTA-STS policy id (its TXT record's `id`); `""` when unknown (a failed fetch). */
  readonly id?: string;
  /** `policy-string`: the policy's lines; empty for `no-policy-found`. */
  readonly strings: readonly string[];
  /** `mx-host`: the policy's `mx` patterns; empty for `no-policy-found`. */
  readonly mx: readonly string[];
}

/** Why one session failed (RFC 8460 §4.4 `failure-details`, without the count). */
export interface TlsSessionFailure {
  /** `result-type`, such as `starttls-not-supported` or `certificate-host-mismatch`. */
  readonly resultType: string;
  /** `receiving-mx-hostname`: the MX host name, when a host was involved. */
  readonly receivingMxHostname?: string;
  /** `receiving-ip`: the address connected to. */
  readonly receivingIp?: string;
  /** `sending-mta-ip`: the local address of the connection. */
  readonly sendingMtaIp?: string;
  /** `failure-reason-code`: a TLS error code such as `ERR_TLS_CERT_ALTNAME_INVALID`. */
  readonly failureReasonCode?: string;
}

/** One outcome to count: `QueueStore.tlsReports.record()`. */
export interface TlsSessionRecord {
  /** The reporting period the session falls in, in milliseconds: `[start, end)`. */
  readonly period: { readonly start: number; readonly end: number };
  /** `policy-domain`: the recipient domain, lowercase. */
  readonly domain: string;
  readonly policy: TlsRptPolicy;
  /** Why the session failed; absent: it succeeded. */
  readonly failure?: TlsSessionFailure;
}

/** A failure kind with how many sessions it counts. */
export interface TlsFailureCount extends TlsSessionFailure {
  readonly count: number;
}

/** The counts of one policy in one period of one domain. */
export interface TlsPolicyCounts {
  readonly policy: TlsRptPolicy;
  /** `total-successful-session-count`. */
  readonly successes: number;
  /** `failure-details`; `total-failure-session-count` is the sum of their counts. */
  readonly failures: readonly TlsFailureCount[];
}

/** One stored key as it was read, so that exactly what was reported can be removed. */
export interface TlsStoredEntry {
  readonly key: Deno.KvKey;
  /** The counter value read; absent for records that are not counters. */
  readonly count?: number;
  readonly versionstamp: string;
}

/** What is stored for one policy domain in one period. */
export interface TlsReportPeriod {
  /** The period, in milliseconds: `[start, end)`. */
  readonly start: number;
  readonly end: number;
  /** `policy-domain`, lowercase. */
  readonly domain: string;
  /** Where the next report of this period begins: `start`, or later after an early report. */
  readonly from: number;
  /** Counts by policy; empty when everything recorded was already reported. */
  readonly policies: readonly TlsPolicyCounts[];
  /** The stored entries behind the counts, for {@linkcode TlsReportStore.settle}. */
  readonly entries: readonly TlsStoredEntry[];
}

/** A built report whose submission to one destination failed, kept for another try. */
export interface PendingTlsReport {
  /** Unique id of this pending submission. */
  readonly id: string;
  /** The destination (`rua` URI). */
  readonly uri: string;
  /** `policy-domain`. */
  readonly domain: string;
  /** The report's `report-id`. */
  readonly reportId: string;
  /** The report's file name (RFC 8460 §5.3). */
  readonly fileName: string;
  /** The time the report covers, in seconds since the epoch, both ends included. */
  readonly range: { readonly begin: number; readonly end: number };
  /** The gzipped JSON report (at most 60 KiB; larger reports are not kept). */
  readonly body: Uint8Array;
  /** Submissions tried so far. */
  readonly attempts: number;
  /** When the report was built, in milliseconds. */
  readonly createdAt: number;
}

/**
 * Where SMTP TLS Reporting keeps its counts and retries, in the queue's database (the queue
 * owns the file): `QueueStore.tlsReports`. Every method may reject with `SpoolError` when the
 * database fails; callers on the delivery path log and carry on.
 */
export interface TlsReportStore {
  /** Counts one session (sums: concurrent calls never conflict). */
  record(session: TlsSessionRecord): Promise<void>;
  /** Everything recorded and not yet reported, by period and domain, oldest period first. */
  periods(): Promise<TlsReportPeriod[]>;
  /**
   * Removes what `period` held when it was read, keeping sessions recorded since. With
   * `reportedUntil` before the period's end (an early report), the next report of the period
   * begins there; otherwise the period is done.
   */
  settle(period: TlsReportPeriod, reportedUntil?: number): Promise<void>;
  /** Stores (or replaces) a pending submission. */
  savePending(report: PendingTlsReport): Promise<void>;
  /** The pending submissions, oldest first. */
  pending(): Promise<PendingTlsReport[]>;
  /** Removes a pending submission. */
  deletePending(id: string): Promise<void>;
}
