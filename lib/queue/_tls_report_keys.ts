// The Deno KV key layout of SMTP TLS Reporting (RFC 8460) in the queue's database:
//
// - ["tlsrpt", start, end, domain, policyKey, "policy"] → TlsRptPolicy (set by every record)
// - ["tlsrpt", start, end, domain, policyKey, "ok"] → KvU64 successful sessions
// - ["tlsrpt", start, end, domain, policyKey, "fail", resultType, mx, receivingIp, sendingIp,
//   reasonCode] → KvU64 failed sessions ("" for an unknown part)
// - ["tlsrpt_from", start, end, domain] → number: where the next report of the period begins,
//   after an early report
// - ["tlsrpt_pending", id] → PendingTlsReport
import type { TlsRptPolicy, TlsSessionFailure, TlsSessionRecord } from "./tls_report_types.ts";

/** Prefix of the counters and policy records. */
export const COUNTS_PREFIX: Deno.KvKey = ["tlsrpt"];
/** Prefix of the early-report markers. */
export const FROM_PREFIX: Deno.KvKey = ["tlsrpt_from"];
/** Prefix of the pending HTTPS submissions. */
export const PENDING_PREFIX: Deno.KvKey = ["tlsrpt_pending"];

/** What a key under {@linkcode COUNTS_PREFIX} holds. */
export type CountsKeyKind =
  | { readonly kind: "policy" }
  | { readonly kind: "ok" }
  | { readonly kind: "fail"; readonly failure: TlsSessionFailure };

/** A key under {@linkcode COUNTS_PREFIX}, decoded. */
export interface DecodedCountsKey {
  readonly start: number;
  readonly end: number;
  readonly domain: string;
  readonly policyKey: string;
  readonly what: CountsKeyKind;
}

/** Identifies a policy within a period: its type and, for MTA-STS, its id. */
export function policyKey(policy: TlsRptPolicy): string {
  return policy.type === "sts" ? `sts:${policy.id ?? ""}` : policy.type;
}

/** The policy record, success counter and (for a failure) failure counter keys of a session. */
export function sessionKeys(
  session: TlsSessionRecord,
): { policy: Deno.KvKey; counter: Deno.KvKey } {
  const base = [
    ...COUNTS_PREFIX,
    session.period.start,
    session.period.end,
    session.domain,
    policyKey(session.policy),
  ];
  const failure = session.failure;
  const counter = failure === undefined ? [...base, "ok"] : [
    ...base,
    "fail",
    failure.resultType,
    failure.receivingMxHostname ?? "",
    failure.receivingIp ?? "",
    failure.sendingMtaIp ?? "",
    failure.failureReasonCode ?? "",
  ];
  return { policy: [...base, "policy"], counter };
}

/** Decodes a key under {@linkcode COUNTS_PREFIX}; `undefined` for a key of another shape. */
export function decodeCountsKey(key: Deno.KvKey): DecodedCountsKey | undefined {
  const [, start, end, domain, policy, kind, ...rest] = key;
  if (typeof start !== "number" || typeof end !== "number") return undefined;
  if (typeof domain !== "string" || typeof policy !== "string") return undefined;
  const where = { start, end, domain, policyKey: policy };
  if (kind === "policy" || kind === "ok") return { ...where, what: { kind } };
  if (kind !== "fail" || rest.length !== 5 || rest.some((part) => typeof part !== "string")) {
    return undefined;
  }
  const [resultType, mx, receivingIp, sendingIp, code] = rest as string[];
  const failure: TlsSessionFailure = {
    resultType,
    ...(mx === "" ? {} : { receivingMxHostname: mx }),
    ...(receivingIp === "" ? {} : { receivingIp }),
    ...(sendingIp === "" ? {} : { sendingMtaIp: sendingIp }),
    ...(code === "" ? {} : { failureReasonCode: code }),
  };
  return { ...where, what: { kind: "fail", failure } };
}

/** The early-report marker of one period of one domain. */
export function fromKey(period: { start: number; end: number; domain: string }): Deno.KvKey {
  return [...FROM_PREFIX, period.start, period.end, period.domain];
}

/** The key of a pending submission. */
export function pendingKey(id: string): Deno.KvKey {
  return [...PENDING_PREFIX, id];
}
