import assert from "node:assert/strict";
import { defaultConfig, parseConfig } from "./parse_config.ts";
import { issuesOf } from "./_test_issues.ts";

Deno.test("defaultConfig() uses the system resolver and delivers to MX hosts", () => {
  const config = defaultConfig();
  assert.deepEqual(config.dns, { cacheTtl: 300_000, negativeTtl: 60_000, timeout: 5_000 });
  assert.equal("nameServer" in config.dns, false);
  assert.deepEqual(config.delivery, {
    enabled: true,
    concurrency: 64,
    allowPrivateDestinations: false,
    port: 25,
    leaseTime: 600_000,
    defaults: {
      rate: 10,
      burst: 20,
      tls: "opportunistic",
      verifyCertificates: false,
      maxConnectionsPerHost: 10,
    },
    domains: {},
    circuitBreaker: { threshold: 5, window: 60_000, openFor: 300_000 },
    timeouts: {
      connect: 30_000,
      greeting: 300_000,
      command: 300_000,
      dataBlock: 180_000,
      dataEnd: 600_000,
    },
    mtaSts: { enabled: true, cacheSize: 10_000 },
    tlsRpt: { enabled: false, interval: 86_400_000 },
  });
  assert.equal("heloName" in config.delivery, false);
  assert.deepEqual(config.routes, [
    { domains: ["localhost"], kind: "maildir", path: "data/maildir" },
  ]);
});

Deno.test("parseConfig() reads a full delivery configuration", () => {
  const config = parseConfig(`
[dns]
name_server = "127.0.0.1:5353"
cache_ttl = "10m"
negative_ttl = "30s"
timeout = 2000

[delivery]
enabled = false
concurrency = 8
allow_private_destinations = true
helo_name = "Out.Example.TEST"
lease_time = "2m"

[delivery.defaults]
rate = "100/m"
burst = 5
tls = "required"
verify_certificates = true
max_connections_per_host = 2

[delivery.domains."Example.ORG"]
rate = "1/s"
tls = "disabled"

[delivery.domains."slow.example"]
max_connections_per_host = 1
rate = 0.5

[delivery.circuit_breaker]
threshold = 3
window = "2m"
open_for = "1h"

[delivery.timeouts]
connect = "10s"
greeting = "1m"
command = "2m"
data_block = "90s"
data_end = "5m"

[delivery.mta_sts]
enabled = false
ca_file = "/etc/empath/mta-sts-ca.pem"
proxy = "http://Proxy.Example:3128"
cache_size = 500

[delivery.tls_rpt]
enabled = true
interval = "1h"
organization = "Example Inc."
contact = "tls-reports@Example.TEST"
ca_file = "/etc/empath/tlsrpt-ca.pem"

[[routes]]
domains = ["Internal.Example"]
kind = "lmtp"
to = "unix:/run/dovecot/lmtp"

[[routes]]
domains = ["lmtp.example"]
kind = "lmtp"
to = "[::1]:24"

[[routes]]
domains = ["localhost", "local.example"]
kind = "maildir"
path = "/var/mail"

[[routes]]
domains = ["*"]
kind = "smtp"
to = "smarthost.example.net"
tls = "required"
verify_certificates = true
auth = { username = "empath", password = "s3cret" }
`);
  assert.deepEqual(config.dns, {
    nameServer: "127.0.0.1:5353",
    cacheTtl: 600_000,
    negativeTtl: 30_000,
    timeout: 2_000,
  });
  assert.deepEqual(config.delivery, {
    enabled: false,
    concurrency: 8,
    allowPrivateDestinations: true,
    port: 25,
    heloName: "out.example.test",
    leaseTime: 120_000,
    defaults: {
      rate: 100 / 60,
      burst: 5,
      tls: "required",
      verifyCertificates: true,
      maxConnectionsPerHost: 2,
    },
    domains: {
      "example.org": { rate: 1, tls: "disabled" },
      "slow.example": { rate: 0.5, maxConnectionsPerHost: 1 },
    },
    circuitBreaker: { threshold: 3, window: 120_000, openFor: 3_600_000 },
    timeouts: {
      connect: 10_000,
      greeting: 60_000,
      command: 120_000,
      dataBlock: 90_000,
      dataEnd: 300_000,
    },
    mtaSts: {
      enabled: false,
      caFile: "/etc/empath/mta-sts-ca.pem",
      proxy: "http://proxy.example:3128",
      cacheSize: 500,
    },
    tlsRpt: {
      enabled: true,
      interval: 3_600_000,
      organization: "Example Inc.",
      contact: "tls-reports@Example.TEST",
      caFile: "/etc/empath/tlsrpt-ca.pem",
    },
  });
  assert.deepEqual(config.routes, [
    { domains: ["internal.example"], kind: "lmtp", to: "unix:/run/dovecot/lmtp" },
    { domains: ["lmtp.example"], kind: "lmtp", to: "[::1]:24" },
    { domains: ["localhost", "local.example"], kind: "maildir", path: "/var/mail" },
    {
      domains: ["*"],
      kind: "smtp",
      to: "smarthost.example.net:25",
      tls: "required",
      verifyCertificates: true,
      auth: { username: "empath", password: "s3cret" },
    },
  ]);
});

Deno.test("parseConfig() writes out default ports and keeps routes replacing the default", () => {
  const config = parseConfig(`
[dns]
name_server = "::1"
[[routes]]
domains = ["relay.example"]
kind = "smtp"
to = "[2001:db8::25]"
`);
  assert.equal(config.dns.nameServer, "[::1]:53");
  assert.deepEqual(config.routes, [
    {
      domains: ["relay.example"],
      kind: "smtp",
      to: "[2001:db8::25]:25",
      tls: "opportunistic",
      verifyCertificates: false,
    },
  ]);
  assert.deepEqual(parseConfig("routes = []\n").routes, []);
});

Deno.test("parseConfig() reports bad delivery values with their key paths", () => {
  const issues = issuesOf(`
[dns]
name_server = "dns.example:53"
timeout = "5 s"
[delivery]
concurrency = 0
helo_name = "not a name"
[delivery.defaults]
rate = "ten/s"
burst = 0
tls = "sometimes"
[delivery.domains."example.org"]
rate = "0/s"
[delivery.circuit_breaker]
open_for = "forever"
[delivery.timeouts]
data_end = -1
`);
  assert.deepEqual(issues.map((issue) => issue.path), [
    "dns.name_server",
    "dns.timeout",
    "delivery.concurrency",
    "delivery.helo_name",
    "delivery.defaults.rate",
    "delivery.defaults.burst",
    "delivery.defaults.tls",
    'delivery.domains."example.org".rate',
    "delivery.circuit_breaker.open_for",
    "delivery.timeouts.data_end",
  ]);
  const byPath = new Map(issues.map((issue) => [issue.path, issue.message]));
  assert.equal(
    byPath.get("delivery.defaults.rate"),
    'invalid value "ten/s": expected a rate above 0 such as "10/s", "100/m" or "1000/h" (or a number per second)',
  );
  assert.equal(
    byPath.get("delivery.defaults.tls"),
    'invalid value "sometimes": expected one of "opportunistic", "required", "disabled"',
  );
  assert.match(byPath.get('delivery.domains."example.org".rate')!, /^invalid value "0\/s": /);
  assert.match(
    byPath.get("dns.name_server")!,
    /^invalid value "dns\.example:53": expected .* an IPv4 or IPv6 address/,
  );
});

Deno.test("parseConfig() checks [delivery.mta_sts] values with their key paths", () => {
  const issues = issuesOf(`
[delivery.mta_sts]
enabled = "yes"
ca_file = ""
proxy = "http://user:secret@proxy.example:3128"
cache_size = 0
max_age = 10
`);
  const paths = issues.map((issue) => issue.path).sort();
  assert.deepEqual(paths, [
    "delivery.mta_sts.ca_file",
    "delivery.mta_sts.cache_size",
    "delivery.mta_sts.enabled",
    "delivery.mta_sts.max_age",
    "delivery.mta_sts.proxy",
  ]);
  assert.ok(!JSON.stringify(issues).includes("secret"), "the proxy password is not echoed");
  for (const proxy of ["socks5://127.0.0.1:1080", "http://proxy.example/path", "proxy:3128"]) {
    const [issue] = issuesOf(`[delivery.mta_sts]\nproxy = "${proxy}"\n`);
    assert.equal(issue.path, "delivery.mta_sts.proxy");
    assert.match(issue.message, /expected an HTTP proxy URL/);
  }
});

Deno.test("parseConfig() checks [delivery.tls_rpt] values with their key paths", () => {
  const issues = issuesOf(`
[delivery.tls_rpt]
enabled = 1
interval = "500ms"
organization = ""
contact = "not an address"
ca_file = ""
rua = "mailto:x@example.test"
`);
  assert.deepEqual(issues.map((issue) => issue.path).sort(), [
    "delivery.tls_rpt.ca_file",
    "delivery.tls_rpt.contact",
    "delivery.tls_rpt.enabled",
    "delivery.tls_rpt.interval",
    "delivery.tls_rpt.organization",
    "delivery.tls_rpt.rua",
  ]);
  for (const contact of ["@example.test", "a@", "a b@example.test", "a@exa_mple.test"]) {
    const [issue] = issuesOf(`[delivery.tls_rpt]\ncontact = "${contact}"\n`);
    assert.match(issue.message, /expected an email address/, contact);
  }
});

Deno.test("parseConfig() reserves the listener name that marks TLS reports", () => {
  const [issue] = issuesOf(`[[listen]]\naddress = "127.0.0.1:25"\nname = "tls-rpt"\n`);
  assert.equal(issue.path, "listen[0].name");
  assert.match(issue.message, /^reserved name "tls-rpt"/);
});

Deno.test("parseConfig() checks delivery.domains keys and their tables", () => {
  const issues = issuesOf(`
[delivery.domains.x]
rate = "1/s"
max_connections = 3
[delivery.domains."not_a_domain"]
burst = 2
`);
  assert.deepEqual(issues, [
    {
      path: "delivery.domains.x.max_connections",
      message: "unknown key: not a setting here (check the spelling; see docs/CONFIG.md)",
    },
    {
      path: "delivery.domains.not_a_domain",
      message: 'invalid value "not_a_domain": expected a domain name such as "example.test"',
    },
  ]);
  assert.deepEqual(issuesOf('[delivery.domains."A.test"]\n[delivery.domains."a.test"]\n'), [
    {
      path: 'delivery.domains."a.test"',
      message:
        'duplicate domain "a.test": expected each domain once (domains are not case-sensitive)',
    },
  ]);
});
