import assert from "node:assert/strict";
import type { CachedPolicy } from "../mta_sts/mod.ts";
import type { TlsSessionOutcome } from "../tls_rpt/mod.ts";
import type { MtaStsFailure } from "./mta_sts.ts";
import type { Destination } from "./route.ts";
import {
  type OpenedConnection,
  type OpenedSession,
  recordingMtaStsReporter,
  tlsSessionOutcome,
} from "./tls_rpt_session.ts";

const HOP = { name: "mx1.example.org", address: "192.0.2.1", port: 25 };
const POLICY = { mode: "enforce" as const, mx: ["*.example.org"], maxAge: 86400 };
const MX_DESTINATION: Extract<Destination, { kind: "smtp" }> = {
  kind: "smtp",
  hops: [HOP],
  lmtp: false,
};
const STS_DESTINATION = {
  ...MX_DESTINATION,
  mtaSts: { domain: "example.org", id: "2024", mode: "enforce" as const, policy: POLICY },
};
const STS_POLICY = {
  type: "sts",
  id: "2024",
  strings: ["version: STSv1", "mode: enforce", "mx: *.example.org", "max_age: 86400"],
  mx: ["*.example.org"],
};
const NO_POLICY = { type: "no-policy-found", strings: [], mx: [] };
const WHERE = {
  receivingMxHostname: "mx1.example.org",
  receivingIp: "192.0.2.1",
  sendingMtaIp: "198.51.100.7",
};

function session(opened: OpenedConnection, overrides: Partial<OpenedSession> = {}): OpenedSession {
  return {
    hop: HOP,
    domain: "example.org",
    destination: STS_DESTINATION,
    message: { reversePath: "a@example.test", receivedFrom: { ip: "192.0.2.9", helo: "c" } },
    tls: "required",
    opened,
    ...overrides,
  };
}

function connected(tls?: { verified?: boolean; verifyError?: string }): OpenedConnection {
  const info = tls && { version: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", ...tls };
  return { kind: "connected", connection: { tls: info, localAddress: "198.51.100.7" } };
}

function unavailable(reason: string): OpenedConnection {
  return { kind: "tls-unavailable", reason, localAddress: "198.51.100.7" };
}

Deno.test("tlsSessionOutcome() counts a verified TLS session under the policy as a success", () => {
  assert.deepEqual(tlsSessionOutcome(session(connected({ verified: true }))), {
    domain: "example.org",
    policy: STS_POLICY,
  });
  assert.deepEqual(
    tlsSessionOutcome(
      session(connected({}), { destination: MX_DESTINATION, tls: "opportunistic" }),
    ),
    { domain: "example.org", policy: NO_POLICY },
  );
});

Deno.test("tlsSessionOutcome() classifies STARTTLS and certificate failures", () => {
  const cases: [OpenedConnection, Record<string, string>][] = [
    [unavailable("The server does not offer STARTTLS"), { resultType: "starttls-not-supported" }],
    [unavailable("STARTTLS refused: 454 4.7.0 TLS not available"), {
      resultType: "starttls-not-supported",
    }],
    [unavailable("TLS handshake failed: self-signed certificate"), {
      resultType: "certificate-not-trusted",
      failureReasonCode: "DEPTH_ZERO_SELF_SIGNED_CERT",
    }],
    [connected(), { resultType: "starttls-not-supported" }],
  ];
  for (const [opened, found] of cases) {
    assert.deepEqual(tlsSessionOutcome(session(opened)), {
      domain: "example.org",
      policy: STS_POLICY,
      failure: { ...found, ...WHERE },
    });
  }
});

Deno.test("tlsSessionOutcome() reports what a testing policy would have refused", () => {
  const testing = {
    ...MX_DESTINATION,
    mtaSts: { domain: "example.org", id: "7", mode: "testing" as const, policy: POLICY },
  };
  const unverified = tlsSessionOutcome(
    session(connected({ verified: false, verifyError: "ERR_TLS_CERT_ALTNAME_INVALID" }), {
      destination: testing,
      tls: "opportunistic",
    }),
  );
  assert.deepEqual(unverified?.failure, {
    resultType: "certificate-host-mismatch",
    failureReasonCode: "ERR_TLS_CERT_ALTNAME_INVALID",
    ...WHERE,
  });
  const unlisted = tlsSessionOutcome(
    session(connected({ verified: true }), {
      hop: { ...HOP, name: "mx.other.example" },
      destination: testing,
    }),
  );
  assert.equal(unlisted?.failure?.resultType, "validation-failure");
});

Deno.test("tlsSessionOutcome() leaves out routes, LMTP, disabled TLS, connection failures and TLS reports", () => {
  const route = {
    domains: ["example.org"],
    kind: "smtp" as const,
    to: "relay.example:25",
    tls: "required" as const,
    verifyCertificates: true,
  };
  const report = {
    reversePath: "",
    receivedFrom: { ip: "127.0.0.1", helo: "mx", listener: "tls-rpt" },
  };
  const skipped = [
    session(connected({}), { destination: { ...MX_DESTINATION, route } }),
    session(connected({}), { destination: { ...MX_DESTINATION, lmtp: true } }),
    session(connected(), { destination: MX_DESTINATION, tls: "disabled" }),
    session({ kind: "connection-failed", reason: "Cannot connect" }),
    session({ kind: "try-next-host", reason: "Greeting refused: 421" }),
    session(unavailable("The server does not offer STARTTLS"), { message: report }),
  ];
  for (const each of skipped) assert.equal(tlsSessionOutcome(each), undefined);
});

Deno.test("recordingMtaStsReporter() records MX hosts an enforced policy drops", () => {
  const recorded: TlsSessionOutcome[] = [];
  const reported: MtaStsFailure[] = [];
  const report = recordingMtaStsReporter(
    (failure) => reported.push(failure),
    { record: (outcome) => recorded.push(outcome) },
  );
  const entry: CachedPolicy = {
    domain: "example.org",
    id: "2024",
    policy: POLICY,
    fetchedAt: 0,
    expiresAt: 1,
  };
  const failure = {
    domain: "example.org",
    kind: "mx-mismatch" as const,
    host: "mx.evil.example",
    detail: "matches no mx pattern",
    policy: entry,
  };
  report({ ...failure, mode: "enforce" });
  report({ ...failure, mode: "testing" });
  report({ ...failure, mode: "enforce", kind: "starttls" });
  assert.equal(reported.length, 3);
  assert.deepEqual(recorded, [{
    domain: "example.org",
    policy: STS_POLICY,
    failure: { resultType: "validation-failure", receivingMxHostname: "mx.evil.example" },
  }]);
});
