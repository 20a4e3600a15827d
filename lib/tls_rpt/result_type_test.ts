import assert from "node:assert/strict";
import { classifyCertificateError, policyFetchResultType } from "./result_type.ts";

Deno.test("classifyCertificateError() maps node:tls codes and messages to RFC 8460 result types", () => {
  const cases: [string, string, string | undefined][] = [
    // What Deno 2.9's node:tls reports, as messages (handshake errors) and codes (authorizationError).
    [
      "TLS handshake failed: Hostname/IP does not match certificate's altnames: Host: mx.a.test. " +
      "is not in the cert's altnames: DNS:mx.other.test",
      "certificate-host-mismatch",
      "ERR_TLS_CERT_ALTNAME_INVALID",
    ],
    ["ERR_TLS_CERT_ALTNAME_INVALID", "certificate-host-mismatch", "ERR_TLS_CERT_ALTNAME_INVALID"],
    [
      "TLS handshake failed: self-signed certificate",
      "certificate-not-trusted",
      "DEPTH_ZERO_SELF_SIGNED_CERT",
    ],
    [
      "self-signed certificate in certificate chain",
      "certificate-not-trusted",
      "SELF_SIGNED_CERT_IN_CHAIN",
    ],
    [
      "TLS handshake failed: unable to verify the first certificate",
      "certificate-not-trusted",
      "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    ],
    [
      "unable to get local issuer certificate",
      "certificate-not-trusted",
      "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    ],
    [
      "invalid peer certificate: UnknownIssuer",
      "certificate-not-trusted",
      "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    ],
    ["CERT_HAS_EXPIRED", "certificate-expired", "CERT_HAS_EXPIRED"],
    ["certificate has expired", "certificate-expired", "CERT_HAS_EXPIRED"],
    ["CERT_NOT_YET_VALID", "validation-failure", "CERT_NOT_YET_VALID"],
    ["TLS handshake failed: Timed out after 300000 ms", "validation-failure", undefined],
    ["", "validation-failure", undefined],
  ];
  for (const [text, resultType, code] of cases) {
    const expected = code === undefined ? { resultType } : { resultType, failureReasonCode: code };
    assert.deepEqual(classifyCertificateError(text), expected, text);
  }
});

Deno.test("policyFetchResultType() names the MTA-STS policy failures of RFC 8460 §4.3.2.2", () => {
  assert.equal(policyFetchResultType("fetch-error"), "sts-policy-fetch-error");
  assert.equal(policyFetchResultType("invalid"), "sts-policy-invalid");
  assert.equal(policyFetchResultType("webpki-invalid"), "sts-webpki-invalid");
});
