import assert from "node:assert/strict";
import { parseConfig } from "./parse_config.ts";
import { configWarnings, coveredFamilies } from "./warnings.ts";

Deno.test("coveredFamilies() finds 0.0.0.0/0 and ::/0", () => {
  assert.deepEqual(coveredFamilies(["0.0.0.0/0"]), ["IPv4"]);
  assert.deepEqual(coveredFamilies(["::/0"]), ["IPv4", "IPv6"]);
  assert.deepEqual(coveredFamilies(["0.0.0.0/0", "::/0"]), ["IPv4", "IPv6"]);
});

Deno.test("coveredFamilies() finds networks that only add up to everything", () => {
  assert.deepEqual(coveredFamilies(["0.0.0.0/1", "128.0.0.0/1"]), ["IPv4"]);
  assert.deepEqual(coveredFamilies(["::ffff:0:0/96"]), ["IPv4"]);
  assert.deepEqual(coveredFamilies(["::/1", "8000::/1"]), ["IPv4", "IPv6"]);
  assert.deepEqual(
    coveredFamilies(["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/2", "192.0.0.0/3", "224.0.0.0/3"]),
    ["IPv4"],
  );
});

Deno.test("coveredFamilies() leaves ordinary networks alone", () => {
  assert.deepEqual(coveredFamilies([]), []);
  assert.deepEqual(coveredFamilies(["127.0.0.0/8", "::1/128"]), []);
  assert.deepEqual(coveredFamilies(["0.0.0.0/1"]), []);
  assert.deepEqual(coveredFamilies(["0.0.0.0/1", "128.0.0.0/2", "224.0.0.0/3"]), []);
  assert.deepEqual(coveredFamilies(["2000::/3", "10.0.0.0/8"]), []);
  assert.deepEqual(coveredFamilies(["::ffff:0:0/97"]), []);
});

Deno.test("configWarnings() warns about an open relay and nothing else by default", () => {
  assert.deepEqual(configWarnings(parseConfig("")), []);
  const [warning, ...rest] = configWarnings(
    parseConfig('[policy]\ntrusted_networks = ["10.0.0.0/8", "0.0.0.0/0"]\n'),
  );
  assert.deepEqual(rest, []);
  assert.equal(
    warning,
    'policy.trusted_networks ("10.0.0.0/8", "0.0.0.0/0") covers every IPv4 address: anyone can ' +
      "relay mail through this server to any domain (an open relay)",
  );
  assert.match(
    configWarnings(parseConfig('[policy]\ntrusted_networks = ["::/0"]\n'))[0],
    /covers every IPv4 and every IPv6 address/,
  );
});
