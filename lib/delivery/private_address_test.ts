import assert from "node:assert/strict";
import { isPrivateOrLoopback } from "./private_address.ts";

const INTERNAL = [
  "0.0.0.0",
  "0.255.255.255",
  "10.0.0.1",
  "10.255.255.255",
  "100.64.0.1",
  "100.127.255.255",
  "127.0.0.1",
  "127.255.255.254",
  "169.254.169.254",
  "172.16.0.1",
  "172.31.255.255",
  "192.168.0.1",
  "192.168.255.255",
  "224.0.0.1",
  "239.255.255.255",
  "240.0.0.1",
  "255.255.255.255",
  "::",
  "::1",
  "fc00::1",
  "fd12:3456:789a::1",
  "fe80::1",
  "fe80::1%eth0",
  "febf:ffff::1",
  "fec0::1",
  "ff02::1",
  "::ffff:127.0.0.1",
  "::ffff:10.1.2.3",
  "::ffff:192.168.1.1",
  "::ffff:c0a8:101", // 192.168.1.1 in hex groups
  "::ffff:169.254.169.254",
];

const PUBLIC = [
  "1.1.1.1",
  "8.8.8.8",
  "9.255.255.255",
  "11.0.0.0",
  "100.63.255.255",
  "100.128.0.0",
  "126.255.255.255",
  "128.0.0.0",
  "169.253.255.255",
  "172.15.255.255",
  "172.32.0.0",
  "192.167.255.255",
  "192.169.0.0",
  "192.0.2.1",
  "223.255.255.255",
  "2001:db8::1",
  "2606:4700:4700::1111",
  "::2",
  "fbff::1",
  "fe7f::1",
  "ff::1",
  "::ffff:8.8.8.8",
];

Deno.test("isPrivateOrLoopback() recognises internal IPv4 and IPv6 addresses", () => {
  for (const ip of INTERNAL) assert.equal(isPrivateOrLoopback(ip), true, ip);
});

Deno.test("isPrivateOrLoopback() lets public addresses through, including range edges", () => {
  for (const ip of PUBLIC) assert.equal(isPrivateOrLoopback(ip), false, ip);
});

Deno.test("isPrivateOrLoopback() throws TypeError for text that is not an address", () => {
  for (const text of ["", "localhost", "mx.example.org", "256.0.0.1", "1.2.3", "::g", "[::1]"]) {
    assert.throws(() => isPrivateOrLoopback(text), TypeError, text);
  }
});
