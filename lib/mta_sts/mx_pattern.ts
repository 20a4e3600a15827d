import type { MtaStsPolicy } from "./policy.ts";

/**
 * Whether an MX host name matches one `mx` pattern of a policy (RFC 8461
 * §4.1): an exact name, or `*.` followed by a name, where the `*` stands for
 * exactly one whole left-most label. So `*.example.com` matches
 * `mail.example.com` but neither `example.com` nor `foo.bar.example.com`.
 * Comparison ignores case and one trailing dot.
 *
 * @param pattern An `mx` value of a policy.
 * @param host The MX host name (the exchange of the MX record).
 * @returns Whether the host is allowed by this pattern.
 *
 * @example Usage
 * ```ts
 * import { mxPatternMatches } from "./mx_pattern.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(mxPatternMatches("*.example.com", "mail.example.com"), true);
 * assert.equal(mxPatternMatches("*.example.com", "example.com"), false);
 * assert.equal(mxPatternMatches("*.example.com", "foo.bar.example.com"), false);
 * assert.equal(mxPatternMatches("mail.example.com", "MAIL.example.com."), true);
 * ```
 */
export function mxPatternMatches(pattern: string, host: string): boolean {
  const wanted = bare(pattern);
  const name = bare(host);
  if (!wanted.startsWith("*.")) return wanted === name;
  const suffix = wanted.slice(1);
  if (suffix.length < 2 || !name.endsWith(suffix)) return false;
  const label = name.slice(0, -suffix.length);
  return label.length > 0 && !label.includes(".") && label !== "*";
}

/**
 * Whether a policy allows an MX host: it matches one of the policy's `mx` patterns.
 *
 * @param policy The policy.
 * @param host The MX host name.
 * @returns Whether delivery to this host satisfies the policy's MX rule.
 *
 * @example Usage
 * ```ts
 * import { policyAllowsMx } from "./mx_pattern.ts";
 * import assert from "node:assert/strict";
 *
 * const policy = { mode: "enforce" as const, mx: ["mx1.example.org", "*.backup.example"], maxAge: 86400 };
 * assert.equal(policyAllowsMx(policy, "mx1.example.org"), true);
 * assert.equal(policyAllowsMx(policy, "b.backup.example"), true);
 * assert.equal(policyAllowsMx(policy, "evil.example"), false);
 * ```
 */
export function policyAllowsMx(policy: MtaStsPolicy, host: string): boolean {
  return policy.mx.some((pattern) => mxPatternMatches(pattern, host));
}

function bare(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith(".") ? lower.slice(0, -1) : lower;
}
