import assert from "node:assert/strict";
import fc from "fast-check";
import { parseListenAddress } from "./listen_address.ts";

Deno.test("parseListenAddress() splits IPv4, IPv6 and host name addresses", () => {
  assert.deepEqual(parseListenAddress("127.0.0.1:2525"), { hostname: "127.0.0.1", port: 2525 });
  assert.deepEqual(parseListenAddress("0.0.0.0:25"), { hostname: "0.0.0.0", port: 25 });
  assert.deepEqual(parseListenAddress("[::1]:587"), { hostname: "::1", port: 587 });
  assert.deepEqual(parseListenAddress("[::]:0"), { hostname: "::", port: 0 });
  assert.deepEqual(parseListenAddress("mx.example.test:65535"), {
    hostname: "mx.example.test",
    port: 65535,
  });
});

Deno.test("parseListenAddress() rejects bad hosts and ports", () => {
  const bad = [
    "",
    "127.0.0.1",
    "127.0.0.1:",
    "127.0.0.1:65536",
    "127.0.0.1:-1",
    "127.0.0.1:abc",
    "256.0.0.1:25",
    "::1:25",
    "[::1]",
    "[127.0.0.1]:25",
    "[::g]:25",
    ":25",
    "bad_host:25",
    "host:123456",
  ];
  for (const address of bad) {
    assert.throws(() => parseListenAddress(address), TypeError, `accepted "${address}"`);
  }
});

Deno.test("parseListenAddress() accepts every port from 0 to 65535", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 65535 }), (port) => {
      assert.equal(parseListenAddress(`10.1.2.3:${port}`).port, port);
      assert.equal(parseListenAddress(`[2001:db8::1]:${port}`).port, port);
    }),
  );
});
