import assert from "node:assert/strict";
import { fromDomain } from "./_from_domain.ts";

Deno.test("fromDomain() reads the domain of the first mailbox, lowercased", () => {
  const cases: [string, string | undefined][] = [
    [" alice@Example.TEST", "example.test"],
    [' "Alice" <alice@example.test>', "example.test"],
    [' "a@evil.test" <b@example.test> (c@x.test)', "example.test"],
    [" Alice <alice@example.test>, Bob <bob@other.test>", "example.test"],
    [" alice@example.test (Alice, the <first>)", "example.test"],
    [' "Smith, J" <j@sub.example.test>', "sub.example.test"],
    [" (comment <x@evil.test>) a@example.test", "example.test"],
    [" Team: a@example.test, b@other.test;", "example.test"],
    [" undisclosed-recipients:;", undefined],
    [" no address here", undefined],
    [" <>", undefined],
    [" a@[192.0.2.1]", undefined],
  ];
  for (const [value, domain] of cases) assert.equal(fromDomain(value), domain, value);
});
