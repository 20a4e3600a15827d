import assert from "node:assert/strict";
import fc from "fast-check";
import { anyCidrContains, cidrContains, parseCidr } from "./cidr.ts";
import { formatIp } from "./_ip.ts";

Deno.test("parseCidr() reads IPv4 and IPv6 networks", () => {
  assert.deepEqual(parseCidr("10.0.0.0/8"), {
    family: 4,
    network: new Uint8Array([10, 0, 0, 0]),
    prefixLength: 8,
  });
  const v6 = parseCidr("2001:db8::/32");
  assert.equal(v6.family, 6);
  assert.equal(v6.prefixLength, 32);
  assert.deepEqual([...v6.network.slice(0, 4)], [0x20, 0x01, 0x0d, 0xb8]);
  assert.equal(parseCidr("0.0.0.0/0").prefixLength, 0);
  assert.equal(parseCidr("::/0").prefixLength, 0);
});

Deno.test("parseCidr() takes a bare address as a single host", () => {
  assert.equal(parseCidr("192.0.2.7").prefixLength, 32);
  assert.equal(parseCidr("::1").prefixLength, 128);
  assert.equal(parseCidr("::ffff:192.0.2.7").prefixLength, 128);
});

Deno.test("parseCidr() rejects malformed networks and set host bits", () => {
  const bad = [
    "",
    "10.0.0.0/",
    "10.0.0.0/33",
    "10.0.0.0/08",
    "10.0.0.0/8/8",
    "10.0.0/8",
    "010.0.0.0/8",
    "::/129",
    "1:2:3:4:5:6:7:8:9/128",
    "1::2::3/128",
    "::g/64",
    "example.test/8",
  ];
  for (const cidr of bad) {
    assert.throws(() => parseCidr(cidr), TypeError, `accepted "${cidr}"`);
  }
  assert.throws(() => parseCidr("10.0.0.1/8"), {
    message: /host bits are set, expected "10\.0\.0\.0\/8"/,
  });
});

Deno.test("cidrContains() matches addresses inside the network only", () => {
  assert.equal(cidrContains("127.0.0.0/8", "127.255.0.1"), true);
  assert.equal(cidrContains("127.0.0.0/8", "128.0.0.1"), false);
  assert.equal(cidrContains("192.168.1.0/24", "192.168.1.200"), true);
  assert.equal(cidrContains("192.168.1.0/24", "192.168.2.1"), false);
  assert.equal(cidrContains("0.0.0.0/0", "203.0.113.9"), true);
  assert.equal(cidrContains("::1/128", "::1"), true);
  assert.equal(cidrContains("::1/128", "::2"), false);
  assert.equal(cidrContains("2001:db8::/32", "2001:db8:ffff::1"), true);
  assert.equal(cidrContains("2001:db8::/32", "2001:db9::1"), false);
  assert.equal(cidrContains("fe80::/10", "fe80::1%eth0"), true);
});

Deno.test("cidrContains() matches IPv4-mapped IPv6 addresses against IPv4 networks", () => {
  assert.equal(cidrContains("127.0.0.0/8", "::ffff:127.0.0.1"), true);
  assert.equal(cidrContains("127.0.0.0/8", "::ffff:7f00:1"), true);
  assert.equal(cidrContains("127.0.0.0/8", "::ffff:10.0.0.1"), false);
  assert.equal(cidrContains("127.0.0.0/8", "::1"), false);
  assert.equal(cidrContains("::ffff:0:0/96", "192.0.2.1"), true);
  assert.equal(cidrContains("::1/128", "127.0.0.1"), false);
});

Deno.test("cidrContains() returns false for text that is not an address", () => {
  assert.equal(cidrContains("0.0.0.0/0", "not-an-ip"), false);
  assert.equal(cidrContains("::/0", ""), false);
});

function networkOf(bytes: number[], prefixLength: number): number[] {
  return bytes.map((byte, index) => {
    const bits = Math.min(8, Math.max(0, prefixLength - index * 8));
    return byte & ((0xff << (8 - bits)) & 0xff);
  });
}

function addressInside(network: number[], prefixLength: number, host: number[]): number[] {
  return network.map((byte, index) => {
    const bits = Math.min(8, Math.max(0, prefixLength - index * 8));
    const hostMask = 0xff >> bits;
    return byte | (host[index] & hostMask);
  });
}

const networkArbitrary = fc.oneof(
  fc.record({ size: fc.constant(4), prefix: fc.integer({ min: 0, max: 32 }) }),
  fc.record({ size: fc.constant(16), prefix: fc.integer({ min: 0, max: 128 }) }),
).chain(({ size, prefix }) =>
  fc.record({
    prefix: fc.constant(prefix),
    address: fc.array(fc.nat(255), { minLength: size, maxLength: size }),
    host: fc.array(fc.nat(255), { minLength: size, maxLength: size }),
  })
);

Deno.test("cidrContains() holds a network's own address and every address built inside it", () => {
  fc.assert(
    fc.property(networkArbitrary, ({ prefix, address, host }) => {
      const network = networkOf(address, prefix);
      const cidr = `${formatIp(new Uint8Array(network))}/${prefix}`;
      const parsed = parseCidr(cidr);
      assert.deepEqual([...parsed.network], network);
      assert.equal(cidrContains(parsed, formatIp(new Uint8Array(network))), true);
      const inside = addressInside(network, prefix, host);
      assert.equal(cidrContains(cidr, formatIp(new Uint8Array(inside))), true);
    }),
  );
});

Deno.test("cidrContains() rejects an address that differs inside the prefix", () => {
  fc.assert(
    fc.property(networkArbitrary, fc.nat(), ({ prefix, address }, bitChoice) => {
      fc.pre(prefix > 0);
      const network = networkOf(address, prefix);
      const bit = bitChoice % prefix;
      const outside = [...network];
      outside[bit >> 3] ^= 0x80 >> (bit & 7);
      const cidr = `${formatIp(new Uint8Array(network))}/${prefix}`;
      assert.equal(cidrContains(cidr, formatIp(new Uint8Array(outside))), false);
    }),
  );
});

Deno.test("anyCidrContains() finds an address in any of several networks, across families", () => {
  const trusted = ["10.0.0.0/8", "2001:db8::/32", "127.0.0.1"].map(parseCidr);
  assert.equal(anyCidrContains(trusted, "10.1.2.3"), true);
  assert.equal(anyCidrContains(trusted, "::ffff:10.9.9.9"), true);
  assert.equal(anyCidrContains(trusted, "2001:db8::25%eth0"), true);
  assert.equal(anyCidrContains(trusted, "127.0.0.1"), true);
  assert.equal(anyCidrContains(trusted, "127.0.0.2"), false);
  assert.equal(anyCidrContains(trusted, "not an address"), false);
  assert.equal(anyCidrContains([], "10.1.2.3"), false);
});
