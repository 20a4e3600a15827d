import assert from "node:assert/strict";
import fc from "fast-check";
import { formatHostPort, parseHostPort } from "./host_port.ts";

Deno.test("parseHostPort() splits host names, IPv4 and IPv6 addresses and ports", () => {
  assert.deepEqual(parseHostPort("relay.example.test:587"), {
    hostname: "relay.example.test",
    port: 587,
  });
  assert.deepEqual(parseHostPort("127.0.0.1:5353"), { hostname: "127.0.0.1", port: 5353 });
  assert.deepEqual(parseHostPort("[2001:db8::1]:25"), { hostname: "2001:db8::1", port: 25 });
});

Deno.test("parseHostPort() fills in the default port", () => {
  assert.deepEqual(parseHostPort("relay.example.test", 25), {
    hostname: "relay.example.test",
    port: 25,
  });
  assert.deepEqual(parseHostPort("127.0.0.1", 53), { hostname: "127.0.0.1", port: 53 });
  assert.deepEqual(parseHostPort("[::1]", 53), { hostname: "::1", port: 53 });
  assert.deepEqual(parseHostPort("::1", 53), { hostname: "::1", port: 53 });
  assert.throws(() => parseHostPort("relay.example.test"), TypeError);
});

Deno.test("parseHostPort() rejects bad hosts and ports", () => {
  const bad = [
    "",
    "127.0.0.1:",
    "127.0.0.1:0",
    "127.0.0.1:65536",
    "256.0.0.1:25",
    "[127.0.0.1]:25",
    "[::g]:25",
    ":25",
    "bad_host:25",
    "host:123456",
    "a:b:c",
    "unix:/run/lmtp.sock",
  ];
  for (const text of bad) {
    assert.throws(() => parseHostPort(text, 25), TypeError, `accepted "${text}"`);
  }
});

Deno.test("formatHostPort() output reads back through parseHostPort()", () => {
  const host = fc.oneof(
    fc.ipV4(),
    fc.ipV6(),
    fc.domain().filter((name) => name.length <= 253),
  );
  fc.assert(
    fc.property(host, fc.integer({ min: 1, max: 65535 }), (hostname, port) => {
      assert.deepEqual(parseHostPort(formatHostPort({ hostname, port })), { hostname, port });
    }),
  );
});
