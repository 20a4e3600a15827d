import assert from "node:assert/strict";
import fc from "fast-check";
import {
  formatPolicy,
  MAX_POLICY_AGE_SECONDS,
  MTA_STS_MODES,
  type MtaStsPolicy,
  parsePolicy,
} from "./policy.ts";

function policyOf(text: string): MtaStsPolicy {
  const result = parsePolicy(text);
  assert.equal(result.kind, "policy", JSON.stringify(result));
  return (result as { policy: MtaStsPolicy }).policy;
}

function reasonOf(text: string): string {
  const result = parsePolicy(text);
  assert.equal(result.kind, "invalid", JSON.stringify(result));
  return (result as { reason: string }).reason;
}

Deno.test("parsePolicy() reads the RFC 8461 §3.2 example with CRLF lines", () => {
  const text = "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\n" +
    "mx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n";
  assert.deepEqual(policyOf(text), {
    mode: "enforce",
    mx: ["mail.example.com", "*.example.net", "backupmx.example.com"],
    maxAge: 604800,
  });
});

Deno.test("parsePolicy() accepts LF lines, no final terminator, white space and blank lines", () => {
  const text = "\nversion:STSv1 \nmode:\t testing\n\nmx: MX.Example.ORG.\nmax_age: 86400";
  assert.deepEqual(policyOf(text), { mode: "testing", mx: ["mx.example.org"], maxAge: 86400 });
});

Deno.test("parsePolicy() ignores unknown fields and keeps the first of a repeated field", () => {
  const text = "version: STSv1\nmode: enforce\nmode: none\nx-extension: anything at all\n" +
    "mx: mx.example.org\nmax_age: 60\nmax_age: 120\n";
  assert.deepEqual(policyOf(text), { mode: "enforce", mx: ["mx.example.org"], maxAge: 60 });
});

Deno.test("parsePolicy() allows mode none without mx and lowers max_age to one year", () => {
  assert.deepEqual(policyOf("version: STSv1\nmode: none\nmax_age: 9999999999\n"), {
    mode: "none",
    mx: [],
    maxAge: MAX_POLICY_AGE_SECONDS,
  });
});

Deno.test("parsePolicy() rejects missing, wrong and malformed fields with a reason", () => {
  const base = { version: "STSv1", mode: "enforce", mx: "mx.example.org", max_age: "86400" };
  const text = (fields: Record<string, string | undefined>) =>
    Object.entries({ ...base, ...fields })
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${key}: ${value}\n`).join("");
  const cases: [Record<string, string | undefined>, RegExp][] = [
    [{ version: undefined }, /version is missing/],
    [{ version: "STSv2" }, /version "STSv2" is not "STSv1"/],
    [{ version: "stsv1" }, /is not "STSv1"/],
    [{ mode: undefined }, /mode is missing/],
    [{ mode: "Enforce" }, /mode "Enforce" is unknown/],
    [{ max_age: undefined }, /max_age is missing/],
    [{ max_age: "-1" }, /max_age "-1" is not an integer/],
    [{ max_age: "12345678901" }, /at most 10 digits/],
    [{ max_age: "1.5" }, /not an integer/],
    [{ mx: undefined }, /mode enforce needs at least one mx/],
    [{ mx: "*.*.example.org" }, /mx "\*\.\*\.example\.org" is not a host name pattern/],
    [{ mx: "mx.example.org:25" }, /is not a host name pattern/],
    [{ mx: "" }, /is not a host name pattern/],
  ];
  for (const [fields, expected] of cases) {
    assert.match(reasonOf(text(fields)), expected, JSON.stringify(fields));
  }
  assert.match(reasonOf("version: STSv1\nthis is not a field\n"), /line 2 is not a "key: value"/);
  assert.match(reasonOf("<!DOCTYPE html>\n<html>"), /line 1/);
  assert.match(reasonOf(""), /version is missing/);
});

Deno.test("parsePolicy() never throws on arbitrary text (property)", () => {
  const lines = fc.array(
    fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.string({ unit: "grapheme", maxLength: 30 }),
      fc.tuple(
        fc.constantFrom("version", "mode", "mx", "max_age", "x", "Version"),
        fc.string({ maxLength: 30 }),
      ).map(([key, value]) => `${key}:${value}`),
    ),
    { maxLength: 12 },
  );
  const separators = fc.constantFrom("\n", "\r\n", "\r");
  fc.assert(
    fc.property(lines, separators, (parts, separator) => {
      const result = parsePolicy(parts.join(separator));
      assert.ok(result.kind === "policy" || result.kind === "invalid");
      if (result.kind === "policy") {
        assert.ok(result.policy.maxAge >= 0 && result.policy.maxAge <= MAX_POLICY_AGE_SECONDS);
      }
    }),
    { numRuns: 2000 },
  );
});

const LABEL = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?$/);
const HOST = fc.array(LABEL, { minLength: 1, maxLength: 4 }).map((labels) => labels.join("."));
const PATTERN = fc.tuple(fc.boolean(), HOST).map(([wild, host]) => wild ? `*.${host}` : host);
const POLICY: fc.Arbitrary<MtaStsPolicy> = fc.constantFrom(...MTA_STS_MODES).chain((mode) =>
  fc.record({
    mode: fc.constant(mode),
    mx: fc.array(PATTERN, { minLength: mode === "none" ? 0 : 1, maxLength: 5 }),
    maxAge: fc.integer({ min: 0, max: MAX_POLICY_AGE_SECONDS }),
  }).map((policy) => ({ ...policy }))
);

Deno.test("parsePolicy() reads back every policy formatPolicy() writes, with CRLF or LF (property)", () => {
  fc.assert(
    fc.property(POLICY, fc.boolean(), (policy, lf) => {
      const text = formatPolicy(policy);
      assert.deepEqual(parsePolicy(lf ? text.replaceAll("\r\n", "\n") : text), {
        kind: "policy",
        policy,
      });
    }),
    { numRuns: 1000 },
  );
});
