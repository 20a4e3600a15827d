import assert from "node:assert/strict";
import { redactAddress, redactAddressesInText, REDACTED, redactValue } from "./_audit_redaction.ts";

Deno.test("redactAddress() hides the local part and keeps the domain", () => {
  assert.equal(redactAddress("user@example.com"), "[REDACTED]@example.com");
  assert.equal(redactAddress("First.Last+tag@Sub.Example.COM"), "[REDACTED]@Sub.Example.COM");
  assert.equal(redactAddress("bob@[192.0.2.1]"), "[REDACTED]@[192.0.2.1]");
});

Deno.test("redactAddress() handles unicode local parts and domains", () => {
  assert.equal(redactAddress("jörg@bücher.example"), "[REDACTED]@bücher.example");
  assert.equal(redactAddress("用户@例子.广告"), "[REDACTED]@例子.广告");
});

Deno.test("redactAddress() splits at the last @, hiding a quoted local part whole", () => {
  assert.equal(redactAddress('"a@b c"@example.com'), "[REDACTED]@example.com");
  assert.equal(redactAddress("x@y@example.com"), "[REDACTED]@example.com");
});

Deno.test("redactAddress() replaces malformed addresses without a domain whole", () => {
  assert.equal(redactAddress("postmaster"), REDACTED);
  assert.equal(redactAddress("user@"), "[REDACTED]@");
  assert.equal(redactAddress("@example.com"), "[REDACTED]@example.com");
  assert.equal(redactAddress(" "), REDACTED);
});

Deno.test("redactAddress() keeps the null sender", () => {
  assert.equal(redactAddress("<>"), "<>");
  assert.equal(redactAddress(""), "");
});

Deno.test("redactValue() redacts arrays item by item and other values whole", () => {
  assert.deepEqual(redactValue(["a@x.test", "b@y.test"]), [
    "[REDACTED]@x.test",
    "[REDACTED]@y.test",
  ]);
  assert.equal(redactValue("192.0.2.1"), REDACTED);
  assert.equal(redactValue("2001:db8::1"), REDACTED);
  assert.equal(redactValue(42), REDACTED);
  assert.equal(redactValue(undefined), undefined);
});

Deno.test("redactAddressesInText() redacts every address quoted in a reply", () => {
  assert.equal(
    redactAddressesInText("550 5.1.1 <bob@example.org>: Recipient address rejected"),
    "550 5.1.1 <[REDACTED]@example.org>: Recipient address rejected",
  );
  assert.equal(
    redactAddressesInText('553 sender o\'brien@a.test and "x y"@b.test, jörg@c.test refused'),
    "553 sender [REDACTED]@a.test and [REDACTED]@b.test, [REDACTED]@c.test refused",
  );
  assert.equal(redactAddressesInText("421 4.4.2 Timeout"), "421 4.4.2 Timeout");
});
