import assert from "node:assert/strict";
import { isIpLiteral, normalizeName } from "./_name.ts";

Deno.test("normalizeName() lowercases and removes one trailing dot", () => {
  assert.equal(normalizeName("MX1.Example.ORG."), "mx1.example.org");
  assert.equal(normalizeName("example.org"), "example.org");
  assert.equal(normalizeName("_dmarc.example.org"), "_dmarc.example.org");
});

Deno.test("normalizeName() rejects names that can never resolve", () => {
  for (
    const name of ["", ".", "a..b", "a b.test", "-a.test", "a-.test", `${"x".repeat(64)}.test`]
  ) {
    assert.equal(normalizeName(name), undefined, name);
  }
  const longest = `${"a.".repeat(126)}a`; // 253 octets
  assert.equal(normalizeName(`${longest}.`), longest);
  assert.equal(normalizeName(`${longest}a`), undefined);
});

Deno.test("isIpLiteral() recognizes IPv4 and IPv6 literals only", () => {
  assert.equal(isIpLiteral("192.0.2.1"), true);
  assert.equal(isIpLiteral("2001:db8::1"), true);
  assert.equal(isIpLiteral("::ffff:192.0.2.1"), true);
  assert.equal(isIpLiteral("256.0.0.1"), false);
  assert.equal(isIpLiteral("example.org"), false);
  assert.equal(isIpLiteral("1.2.3"), false);
  assert.equal(isIpLiteral("::"), true);
  assert.equal(isIpLiteral("1:2:3:4:5:6:7:8"), true);
  for (const text of ["1:2:3:4:5:6:7", "1::2::3", "127.0.0.1:", ":1", "12345::1", "g::1"]) {
    assert.equal(isIpLiteral(text), false, text);
  }
});
