import assert from "node:assert/strict";
import { parseNameServer } from "./name_server.ts";

Deno.test("parseNameServer() reads IPv4 and bracketed IPv6 with a port", () => {
  assert.deepEqual(parseNameServer("127.0.0.1:5353"), { ipAddr: "127.0.0.1", port: 5353 });
  assert.deepEqual(parseNameServer("[::1]:53"), { ipAddr: "::1", port: 53 });
  assert.deepEqual(parseNameServer("[2001:DB8::35]:5300"), { ipAddr: "2001:db8::35", port: 5300 });
});

Deno.test("parseNameServer() defaults the port to 53", () => {
  assert.deepEqual(parseNameServer("127.0.0.1"), { ipAddr: "127.0.0.1", port: 53 });
  assert.deepEqual(parseNameServer("[::1]"), { ipAddr: "::1", port: 53 });
  assert.deepEqual(parseNameServer("2001:db8::53"), { ipAddr: "2001:db8::53", port: 53 });
});

Deno.test("parseNameServer() rejects host names, bad addresses and bad ports with TypeError", () => {
  for (
    const text of [
      "",
      "localhost",
      "ns.example.org:53",
      "127.0.0.1:0",
      "127.0.0.1:65536",
      "127.0.0.1:",
      "256.1.1.1",
      "[127.0.0.1]:53",
      "[::1]:",
      "::1:53x",
    ]
  ) {
    assert.throws(() => parseNameServer(text), TypeError, text);
  }
});
