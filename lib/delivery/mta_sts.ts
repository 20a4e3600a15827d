/**
 * How delivery applies MTA-STS policies (RFC 8461 §4, §5): MX hosts screened
 * by the policy's patterns, the TLS settings it demands, the deferral when it
 * cannot be met, and the reports of failures (a log line and a counter).
 *
 * @module
 */
import { rootCertificates } from "node:tls";
import type { MxHost } from "../dns/mod.ts";
import { type CachedPolicy, type MtaStsPolicy, policyAllowsMx } from "../mta_sts/mod.ts";
import { type DeliveryMetrics, getLogger } from "../observe/mod.ts";
import type { ClientTlsInfo, Reply, TlsPolicy } from "../smtp/mod.ts";

const logger = getLogger(["empath", "delivery"]);

/** RFC 3463 X.7.5 "cryptographic failure": the status of deferrals for an unmet policy. */
export const MTA_STS_STATUS = "4.7.5";

/** Where routing gets a domain's policy (an `MtaStsPolicies` fits). */
export interface MtaStsPolicySource {
  /** The policy in force for `domain`, if any; rejects only when `signal` aborts. */
  policyFor(domain: string, signal?: AbortSignal): Promise<CachedPolicy | undefined>;
}

/** The policy a destination is delivered under (never mode `none`). */
export interface MtaStsRequirement {
  readonly domain: string;
  /** The policy's id (from the TXT record). */
  readonly id: string;
  readonly mode: "enforce" | "testing";
  /** The policy itself, for TLS reports (RFC 8460 `policy-string`, `mx-host`). */
  readonly policy?: MtaStsPolicy;
}

/**
 * One way a delivery fell short of a policy: an MX host not in the policy,
 * no STARTTLS, or a certificate that does not verify for the MX host name.
 */
export interface MtaStsFailure {
  readonly domain: string;
  readonly mode: "enforce" | "testing";
  readonly kind: "mx-mismatch" | "starttls" | "certificate";
  /** The MX host. */
  readonly host: string;
  readonly detail: string;
  /** The policy that was not met, when known (an MX host it does not list). */
  readonly policy?: CachedPolicy;
}

/** Receives policy failures, in both modes. */
export type MtaStsReporter = (failure: MtaStsFailure) => void;

/** What {@linkcode screenMxHosts} leaves: hosts to try, or a deferral. */
export type ScreenedHosts =
  | { readonly kind: "hosts"; readonly hosts: MxHost[]; readonly requirement: MtaStsRequirement }
  | { readonly kind: "deferred"; readonly reason: string; readonly reply: Reply };

/**
 * Applies a policy's MX rule (RFC 8461 §4.1) to a domain's MX hosts. In
 * `enforce` mode hosts not matching a pattern are dropped, and with none left
 * the domain is deferred; in `testing` mode all are kept. Every mismatch is
 * reported.
 *
 * @param entry The domain's policy, mode `enforce` or `testing`.
 * @param hosts The MX hosts, in preference order.
 * @param report Where mismatches go.
 * @returns The hosts to try with the requirement, or the deferral.
 *
 * @example Usage
 * ```ts
 * import { screenMxHosts } from "./mta_sts.ts";
 * import assert from "node:assert/strict";
 *
 * const entry = {
 *   domain: "example.org", id: "1", fetchedAt: 0, expiresAt: 1,
 *   policy: { mode: "enforce" as const, mx: ["*.example.org"], maxAge: 1 },
 * };
 * const hosts = [{ exchange: "mx.evil.example", preference: 5 }, { exchange: "mx.example.org", preference: 10 }];
 * const screened = screenMxHosts(entry, hosts, () => {});
 * assert.equal(screened.kind, "hosts");
 * assert.deepEqual(screened.kind === "hosts" && screened.hosts, [hosts[1]]);
 * ```
 */
export function screenMxHosts(
  entry: CachedPolicy,
  hosts: readonly MxHost[],
  report: MtaStsReporter,
): ScreenedHosts {
  const mode = entry.policy.mode === "enforce" ? "enforce" : "testing";
  const requirement = { domain: entry.domain, id: entry.id, mode, policy: entry.policy } as const;
  const allowed = hosts.filter((host) => policyAllowsMx(entry.policy, host.exchange));
  for (const host of hosts) {
    if (allowed.includes(host)) continue;
    report({
      domain: entry.domain,
      mode,
      kind: "mx-mismatch",
      host: host.exchange,
      detail: `MX host ${host.exchange} matches no mx pattern of policy ${entry.id} ` +
        `(${entry.policy.mx.join(", ")})`,
      policy: entry,
    });
  }
  if (mode === "testing") return { kind: "hosts", hosts: [...hosts], requirement };
  if (allowed.length > 0) return { kind: "hosts", hosts: allowed, requirement };
  return stsDeferral(
    entry.domain,
    `no MX host matches the policy (${hosts.map((host) => host.exchange).join(", ")})`,
  );
}

/**
 * The connection settings under a requirement: `enforce` means STARTTLS
 * required and the certificate verified for the MX host name, whatever the
 * configured `tls` and `verify_certificates` say (the stricter wins; even
 * `disabled` does not weaken it); `testing` keeps the configured settings but
 * verifies against the MTA-STS trust store, so the result can be reported.
 *
 * @param requirement The policy in force, if any.
 * @param configured The configured settings for the domain.
 * @param stsCaCerts The MTA-STS trust store (see {@linkcode stsTrustStore}); absent: default roots.
 * @returns The settings to connect with.
 */
export function stsConnectionSettings(
  requirement: MtaStsRequirement | undefined,
  configured: {
    readonly tls: TlsPolicy;
    readonly verifyCertificates: boolean;
    readonly caCerts?: readonly string[];
  },
  stsCaCerts?: readonly string[],
): { tls: TlsPolicy; verifyCertificates: boolean; caCerts?: readonly string[] } {
  if (requirement === undefined) return { ...configured };
  const caCerts = stsCaCerts ?? configured.caCerts;
  if (requirement.mode === "enforce") return { tls: "required", verifyCertificates: true, caCerts };
  return { tls: configured.tls, verifyCertificates: configured.verifyCertificates, caCerts };
}

/**
 * Reports a delivery made under a `testing` policy without STARTTLS or with
 * a certificate that did not verify.
 *
 * @param requirement The policy in force.
 * @param host The MX host name.
 * @param tls The TLS parameters of the transaction; absent: plaintext.
 * @param report Where failures go.
 */
export function checkDeliveredTls(
  requirement: MtaStsRequirement,
  host: string,
  tls: ClientTlsInfo | undefined,
  report: MtaStsReporter,
): void {
  const { domain, mode } = requirement;
  if (tls === undefined) {
    report({ domain, mode, kind: "starttls", host, detail: "Delivered without TLS" });
  } else if (tls.verified === false) {
    const why = tls.verifyError ?? "unknown error";
    report({ domain, mode, kind: "certificate", host, detail: `Certificate not valid: ${why}` });
  }
}

/**
 * Reports a connection refused under an `enforce` policy: no STARTTLS, or a
 * handshake that failed (the certificate did not verify).
 *
 * @param requirement The policy in force.
 * @param host The MX host name.
 * @param reason The session failure's reason.
 * @param report Where failures go.
 */
export function reportTlsRefused(
  requirement: MtaStsRequirement,
  host: string,
  reason: string,
  report: MtaStsReporter,
): void {
  const kind = /handshake/i.test(reason) ? "certificate" : "starttls";
  report({ domain: requirement.domain, mode: requirement.mode, kind, host, detail: reason });
}

/**
 * The deferral of recipients whose domain's policy cannot be met: `451 4.7.5`,
 * retried like any temporary failure until the message expires.
 *
 * @param domain The recipient domain.
 * @param detail What failed.
 * @returns A deferred outcome with its reply.
 */
export function stsDeferral(
  domain: string,
  detail: string,
): { readonly kind: "deferred"; readonly reason: string; readonly reply: Reply } {
  const text = `MTA-STS policy of ${domain} not met (TLS policy unmet): ${detail}`;
  return {
    kind: "deferred",
    reason: text,
    reply: { code: 451, enhanced: MTA_STS_STATUS, lines: [text] },
  };
}

/**
 * The trust store for MX certificates under a policy: node:tls's default
 * roots plus `extra` (node:tls replaces its roots when given CAs, Deno's
 * `fetch` adds to them; this keeps both alike).
 *
 * @param extra PEM certificates from `[delivery.mta_sts] ca_file`.
 * @returns The store, or `undefined` (default roots) without extras.
 */
export function stsTrustStore(extra?: readonly string[]): readonly string[] | undefined {
  return extra === undefined || extra.length === 0 ? undefined : [...rootCertificates, ...extra];
}

/**
 * The reporter delivery uses: a log line (warning when mail is held back by
 * `enforce`, info for `testing`) and `empath_delivery_mta_sts_failures_total`.
 *
 * @param metrics Where failures are counted, if anywhere.
 * @returns The reporter.
 */
export function mtaStsReporter(metrics?: DeliveryMetrics): MtaStsReporter {
  return ({ policy: _, ...failure }) => {
    metrics?.mtaStsFailure(failure.domain, failure.mode, failure.kind);
    const properties = { ...failure, failure: failure.kind };
    if (failure.mode === "enforce") {
      logger.warn("MTA-STS policy of {domain} (enforce) not met at {host}: {detail}", properties);
    } else {
      logger.info("MTA-STS policy of {domain} (testing) not met at {host}: {detail}", properties);
    }
  };
}
