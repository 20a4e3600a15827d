import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeUtf8AddrXtext,
  decodeXtext,
  encodeUtf8AddrXtext,
  encodeXtext,
  isXtext,
} from "./xtext.ts";

/** Valid xtext: xchars and `+HH` in any mix. */
const xtext = fc.array(
  fc.oneof(
    fc.integer({ min: 0x21, max: 0x7e })
      .filter((code) => code !== 0x2b && code !== 0x3d)
      .map((code) => String.fromCharCode(code)),
    fc.integer({ min: 0, max: 255 })
      .map((byte) => `+${byte.toString(16).toUpperCase().padStart(2, "0")}`),
  ),
  { minLength: 1, maxLength: 40 },
).map((parts) => parts.join(""));

Deno.test("encodeXtext() and decodeXtext() round-trip any non-empty text", () => {
  fc.assert(fc.property(fc.string({ minLength: 1, unit: "grapheme" }), (text) => {
    const encoded = encodeXtext(text);
    assert.equal(isXtext(encoded), true);
    assert.equal(decodeXtext(encoded), text);
  }));
});

Deno.test("decodeXtext() never throws on valid xtext", () => {
  fc.assert(fc.property(xtext, (text) => {
    assert.equal(isXtext(text), true);
    assert.equal(typeof decodeXtext(text), "string");
  }));
});

Deno.test("decodeXtext() rejects invalid xtext", () => {
  for (const bad of ["", "a b", "a=b", "a+", "a+2", "a+2b", "a+ZZ", "é", "a\tb"]) {
    assert.equal(decodeXtext(bad), undefined, bad);
  }
  fc.assert(fc.property(
    fc.tuple(xtext, fc.constantFrom("=", " ", "+G0", "+a1", "\x7f", "ü"), xtext),
    ([before, bad, after]) => assert.equal(decodeXtext(before + bad + after), undefined),
  ));
  fc.assert(fc.property(xtext, (text) => assert.equal(decodeXtext(`${text}+`), undefined)));
});

Deno.test("decodeXtext() decodes +HH, including UTF-8 sequences", () => {
  assert.equal(decodeXtext("a+2Bb+3Dc"), "a+b=c");
  assert.equal(decodeXtext("j+C3+B6rg"), "jörg");
});

Deno.test("encodeUtf8AddrXtext() and decodeUtf8AddrXtext() round-trip addresses", () => {
  assert.equal(encodeUtf8AddrXtext("jö+x@example.test"), "j\\x{F6}\\x{2B}x@example.test");
  fc.assert(fc.property(
    // deno-lint-ignore no-control-regex
    fc.string({ minLength: 1, unit: "grapheme" }).filter((text) => !/[\x00-\x1f\x7f]/.test(text)),
    (text) => assert.equal(decodeUtf8AddrXtext(encodeUtf8AddrXtext(text)), text),
  ));
});

Deno.test("decodeUtf8AddrXtext() rejects malformed text and controls", () => {
  for (const bad of ["", "a b", "a+b", "a=b", "a\\b", "\\x{0A}", "\\x{D800}", "\\x{110000}", "ö"]) {
    assert.equal(decodeUtf8AddrXtext(bad), undefined, bad);
  }
});
