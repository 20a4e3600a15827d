/**
 * What delivery tells SMTP TLS Reporting (RFC 8460): the outcome of each new connection to an
 * MX host, under the recipient domain's MTA-STS policy or `no-policy-found`.
 *
 * @module
 */
import { formatPolicy, type MtaStsPolicy, policyAllowsMx } from "../mta_sts/mod.ts";
import type { QueuedMessage, TlsRptPolicy } from "../queue/mod.ts";
import type { SessionFailure, TlsPolicy } from "../smtp/mod.ts";
import {
  classifyCertificateError,
  isTlsReportMessage,
  type TlsSessionOutcome,
} from "../tls_rpt/mod.ts";
import type { MtaStsReporter, MtaStsRequirement } from "./mta_sts.ts";
import type { Destination, NextHop } from "./route.ts";
import type { SmtpClientConnection } from "./smtp_client.ts";

/** Where delivery reports TLS session outcomes (a `TlsSessionRecorder` fits). Never throws. */
export interface TlsSessionSink {
  record(outcome: TlsSessionOutcome): void;
}

/** What opening a connection gave (an `OpenSmtpResult` fits). */
export type OpenedConnection =
  | {
    readonly kind: "connected";
    readonly connection: Pick<SmtpClientConnection, "tls" | "localAddress">;
  }
  | SessionFailure & { readonly localAddress?: string };

/** One new connection to a next hop, as the sender saw it. */
export interface OpenedSession {
  readonly hop: NextHop;
  readonly domain: string;
  readonly destination: Extract<Destination, { kind: "smtp" }>;
  readonly message: Pick<QueuedMessage, "reversePath" | "receivedFrom">;
  /** The STARTTLS policy the connection was opened with. */
  readonly tls: TlsPolicy;
  readonly opened: OpenedConnection;
}

/**
 * The TLS reporting outcome of one new connection, or `undefined` when it is not reported:
 * connections of a configured route or LMTP, with TLS disabled, carrying a TLS report (the
 * loop rule), or that failed before TLS could be tried (connection refused, a 4xx greeting).
 *
 * Success is a connection that completed STARTTLS and, under an MTA-STS policy, verified the
 * certificate for the MX host name and matched the policy's `mx` patterns. Failures:
 * `starttls-not-supported` (not offered, or refused), the certificate's result type
 * ({@linkcode classifyCertificateError}) when the handshake or verification failed, and
 * `validation-failure` for an MX host a `testing` policy does not list.
 *
 * @param session The connection and what it was for.
 * @returns The outcome to record, if any.
 *
 * @example Usage
 * ```ts
 * import { tlsSessionOutcome } from "./tls_rpt_session.ts";
 * import assert from "node:assert/strict";
 *
 * const outcome = tlsSessionOutcome({
 *   hop: { name: "mx.example.org", address: "192.0.2.1", port: 25 },
 *   domain: "example.org",
 *   destination: { kind: "smtp", hops: [], lmtp: false },
 *   message: { reversePath: "a@example.test", receivedFrom: { ip: "192.0.2.9", helo: "c" } },
 *   tls: "opportunistic",
 *   opened: { kind: "tls-unavailable", reason: "The server does not offer STARTTLS" },
 * });
 * assert.equal(outcome?.policy.type, "no-policy-found");
 * assert.equal(outcome?.failure?.resultType, "starttls-not-supported");
 * ```
 */
export function tlsSessionOutcome(session: OpenedSession): TlsSessionOutcome | undefined {
  const { destination, opened, hop } = session;
  if (destination.route !== undefined || destination.lmtp || session.tls === "disabled") {
    return undefined;
  }
  if (isTlsReportMessage(session.message)) return undefined;
  const requirement = destination.mtaSts;
  const policy = reportedPolicy(requirement);
  const sendingMtaIp = opened.kind === "connected"
    ? opened.connection.localAddress
    : opened.localAddress;
  const failure = (found: { resultType: string; failureReasonCode?: string }) => ({
    domain: session.domain,
    policy,
    failure: {
      ...found,
      receivingMxHostname: hop.name,
      receivingIp: hop.address,
      ...(sendingMtaIp === undefined ? {} : { sendingMtaIp }),
    },
  });
  if (opened.kind === "tls-unavailable") {
    return failure(
      /handshake/i.test(opened.reason)
        ? classifyCertificateError(opened.reason)
        : { resultType: "starttls-not-supported" },
    );
  }
  if (opened.kind !== "connected") return undefined;
  const tls = opened.connection.tls;
  if (tls === undefined) return failure({ resultType: "starttls-not-supported" });
  if (requirement?.policy !== undefined && !policyAllowsMx(requirement.policy, hop.name)) {
    return failure({ resultType: "validation-failure" });
  }
  if (requirement !== undefined && tls.verified === false) {
    return failure(classifyCertificateError(tls.verifyError ?? ""));
  }
  return { domain: session.domain, policy };
}

/**
 * Wraps the MTA-STS reporter of routing so that an MX host an `enforce` policy does not list,
 * which is never connected to, is recorded as a `validation-failure` session of the policy.
 * (Under `testing` the host is still tried, and {@linkcode tlsSessionOutcome} records it.)
 *
 * @param report The reporter to wrap (log line and counter).
 * @param sink Where sessions are recorded; absent: `report` unchanged.
 * @returns The reporter.
 */
export function recordingMtaStsReporter(
  report: MtaStsReporter,
  sink: TlsSessionSink | undefined,
): MtaStsReporter {
  if (sink === undefined) return report;
  return (failure) => {
    report(failure);
    const entry = failure.policy;
    if (failure.kind !== "mx-mismatch" || failure.mode !== "enforce" || entry === undefined) return;
    sink.record({
      domain: failure.domain,
      policy: reportedPolicy({ ...failure, id: entry.id, policy: entry.policy }),
      failure: { resultType: "validation-failure", receivingMxHostname: failure.host },
    });
  };
}

/** The RFC 8460 policy of a delivery: the MTA-STS policy in force, or `no-policy-found`. */
function reportedPolicy(requirement: MtaStsRequirement | undefined): TlsRptPolicy {
  if (requirement === undefined) return { type: "no-policy-found", strings: [], mx: [] };
  const policy: MtaStsPolicy | undefined = requirement.policy;
  return {
    type: "sts",
    id: requirement.id,
    strings: policy === undefined ? [] : formatPolicy(policy).split("\r\n").filter(Boolean),
    mx: policy === undefined ? [] : [...policy.mx],
  };
}
