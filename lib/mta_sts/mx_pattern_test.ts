import assert from "node:assert/strict";
import { mxPatternMatches, policyAllowsMx } from "./mx_pattern.ts";

Deno.test("mxPatternMatches() follows the RFC 8461 §4.1 wildcard example", () => {
  assert.equal(mxPatternMatches("*.example.com", "mail.example.com"), true);
  assert.equal(mxPatternMatches("*.example.com", "example.com"), false);
  assert.equal(mxPatternMatches("*.example.com", "foo.bar.example.com"), false);
});

Deno.test("mxPatternMatches() compares exact names without case or a trailing dot", () => {
  assert.equal(mxPatternMatches("mail.example.com", "mail.example.com"), true);
  assert.equal(mxPatternMatches("Mail.Example.com.", "mail.EXAMPLE.com"), true);
  assert.equal(mxPatternMatches("mail.example.com", "mail.example.com."), true);
  assert.equal(mxPatternMatches("mail.example.com", "mail2.example.com"), false);
  assert.equal(mxPatternMatches("mail.example.com", "mail.example.com.evil"), false);
  assert.equal(mxPatternMatches("example.com", "mail.example.com"), false);
});

Deno.test("mxPatternMatches() matches a wildcard against one whole label only", () => {
  assert.equal(mxPatternMatches("*.example.com", "MX1.Example.COM."), true);
  assert.equal(mxPatternMatches("*.example.com", "mailexample.com"), false);
  assert.equal(mxPatternMatches("*.example.com", ".example.com"), false);
  assert.equal(mxPatternMatches("*.example.com", "*.example.com"), false);
  assert.equal(mxPatternMatches("*.com", "example.com"), true);
  assert.equal(mxPatternMatches("*.", "example"), false);
  // A "*" anywhere but the whole left-most label is a plain character, so nothing matches.
  assert.equal(mxPatternMatches("mx*.example.com", "mx1.example.com"), false);
  assert.equal(mxPatternMatches("mail.*.com", "mail.example.com"), false);
});

Deno.test("policyAllowsMx() accepts a host matching any pattern", () => {
  const policy = {
    mode: "enforce" as const,
    mx: ["mail.example.com", "*.example.net"],
    maxAge: 86400,
  };
  assert.equal(policyAllowsMx(policy, "mail.example.com"), true);
  assert.equal(policyAllowsMx(policy, "a.example.net"), true);
  assert.equal(policyAllowsMx(policy, "example.net"), false);
  assert.equal(policyAllowsMx({ mode: "none", mx: [], maxAge: 0 }, "mail.example.com"), false);
});
