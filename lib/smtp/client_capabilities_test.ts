import assert from "node:assert/strict";
import { NO_CAPABILITIES, parseCapabilities } from "./client_capabilities.ts";

Deno.test("parseCapabilities() reads every extension the client uses", () => {
  const caps = parseCapabilities({
    code: 250,
    lines: [
      "mx.example.org Hello",
      "pipelining",
      "SIZE 35000000",
      "8BITMIME",
      "SMTPUTF8",
      "STARTTLS",
      "CHUNKING",
      "ENHANCEDSTATUSCODES",
      "AUTH PLAIN LOGIN",
      "AUTH=LOGIN CRAM-MD5",
      "XFORWARD NAME",
      "dsn",
    ],
  });
  assert.deepEqual(caps, {
    pipelining: true,
    size: 35_000_000,
    eightBitMime: true,
    smtputf8: true,
    starttls: true,
    chunking: true,
    enhancedStatusCodes: true,
    auth: ["PLAIN", "LOGIN", "CRAM-MD5"],
    dsn: true,
  });
});

Deno.test("parseCapabilities() ignores the greeting line and treats a bare SIZE as no limit", () => {
  assert.deepEqual(parseCapabilities({ code: 250, lines: ["STARTTLS"] }), NO_CAPABILITIES);
  assert.equal(parseCapabilities({ code: 250, lines: ["mx", "SIZE"] }).size, 0);
  assert.equal(parseCapabilities({ code: 250, lines: ["mx", "SIZE x"] }).size, 0);
});
