/**
 * The RFC 8460 §4.3 result types Empath detects, and how TLS errors map to them.
 *
 * @module
 */
import type { PolicyFetchProblem } from "../mta_sts/mod.ts";

/** The `result-type` values Empath records (no DANE: the `tlsa`/`dnssec` ones never occur). */
export const TLS_RPT_RESULT_TYPES = [
  "starttls-not-supported",
  "certificate-host-mismatch",
  "certificate-expired",
  "certificate-not-trusted",
  "validation-failure",
  "sts-policy-fetch-error",
  "sts-policy-invalid",
  "sts-webpki-invalid",
] as const;

/** One RFC 8460 `result-type` Empath records. */
export type TlsRptResultType = typeof TLS_RPT_RESULT_TYPES[number];

/** A classified TLS failure: its result type and, when known, a stable error code. */
export interface TlsFailureClass {
  readonly resultType: TlsRptResultType;
  /** `failure-reason-code`: an OpenSSL/Node error code such as `CERT_HAS_EXPIRED`. */
  readonly failureReasonCode?: string;
}

/** Error codes and messages (node:tls, rustls) to result types; the first match wins. */
const CERTIFICATE_ERRORS: readonly [RegExp, TlsRptResultType, string][] = [
  [
    /ERR_TLS_CERT_ALTNAME_INVALID|does not match certificate's altnames|NotValidForName/i,
    "certificate-host-mismatch",
    "ERR_TLS_CERT_ALTNAME_INVALID",
  ],
  [
    /CERT_HAS_EXPIRED|certificate has expired|\bExpired\b/i,
    "certificate-expired",
    "CERT_HAS_EXPIRED",
  ],
  [/CERT_NOT_YET_VALID|not yet valid|NotValidYet/i, "validation-failure", "CERT_NOT_YET_VALID"],
  [
    /SELF_SIGNED_CERT_IN_CHAIN|self[- ]signed certificate in certificate chain/i,
    "certificate-not-trusted",
    "SELF_SIGNED_CERT_IN_CHAIN",
  ],
  [
    /DEPTH_ZERO_SELF_SIGNED_CERT|self[- ]signed certificate/i,
    "certificate-not-trusted",
    "DEPTH_ZERO_SELF_SIGNED_CERT",
  ],
  [
    /UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify the first certificate/i,
    "certificate-not-trusted",
    "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  ],
  [
    /UNABLE_TO_GET_ISSUER_CERT|unable to get (?:local )?issuer certificate|UnknownIssuer/i,
    "certificate-not-trusted",
    "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  ],
  [/CERT_UNTRUSTED|certificate not trusted/i, "certificate-not-trusted", "CERT_UNTRUSTED"],
];

/**
 * Classifies why a certificate did not verify or a TLS handshake failed, from the error's
 * code or message. Anything unrecognized (a protocol alert, a timeout) is `validation-failure`.
 *
 * Deno 2.9's node:tls reports an expired certificate as "unable to verify the first
 * certificate", so it is classified `certificate-not-trusted`: `certificate-expired` needs an
 * error that says so.
 *
 * @param text The error code or message, such as `ERR_TLS_CERT_ALTNAME_INVALID`.
 * @returns The result type and the error code when one is recognized.
 *
 * @example Usage
 * ```ts
 * import { classifyCertificateError } from "./result_type.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(classifyCertificateError("TLS handshake failed: self-signed certificate"), {
 *   resultType: "certificate-not-trusted",
 *   failureReasonCode: "DEPTH_ZERO_SELF_SIGNED_CERT",
 * });
 * assert.deepEqual(classifyCertificateError("TLS handshake failed: alert 40"), {
 *   resultType: "validation-failure",
 * });
 * ```
 */
export function classifyCertificateError(text: string): TlsFailureClass {
  for (const [pattern, resultType, failureReasonCode] of CERTIFICATE_ERRORS) {
    if (pattern.test(text)) return { resultType, failureReasonCode };
  }
  return { resultType: "validation-failure" };
}

/**
 * The result type of a failed MTA-STS policy fetch (RFC 8460 §4.3.2.2).
 *
 * @param problem What went wrong: no answer or not 200, a policy that is not valid, or a
 *   policy host whose certificate did not verify.
 * @returns `sts-policy-fetch-error`, `sts-policy-invalid` or `sts-webpki-invalid`.
 *
 * @example Usage
 * ```ts
 * import { policyFetchResultType } from "./result_type.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(policyFetchResultType("webpki-invalid"), "sts-webpki-invalid");
 * ```
 */
export function policyFetchResultType(problem: PolicyFetchProblem): TlsRptResultType {
  switch (problem) {
    case "fetch-error":
      return "sts-policy-fetch-error";
    case "invalid":
      return "sts-policy-invalid";
    case "webpki-invalid":
      return "sts-webpki-invalid";
  }
}
