import assert from "node:assert/strict";
import { ConfigError } from "./config_error.ts";
import { defaultConfig, parseConfig } from "./parse_config.ts";
import { hashPassword } from "./password.ts";
import { issuesOf } from "./_test_issues.ts";

Deno.test("defaultConfig() works on loopback with nothing configured", () => {
  const config = defaultConfig();
  assert.ok(config.hostname.length > 0);
  assert.deepEqual(config.listen, [
    { address: "127.0.0.1:2525", name: "smtp", starttls: true, auth: "disabled", dsn: true },
  ]);
  assert.equal("tls" in config, false);
  assert.deepEqual(config.policy, {
    localDomains: ["localhost"],
    relayDomains: [],
    trustedNetworks: ["127.0.0.0/8", "::1/128"],
    maxMessageSize: 35_000_000,
    maxRecipients: 100,
  });
  assert.deepEqual(config.limits, {
    maxConnections: 1000,
    maxConnectionsPerIp: 50,
    maxErrors: 10,
    maxCommands: 10_000,
    maxLineLength: 1000,
    maxCommandLength: 512,
    timeouts: {
      command: 300_000,
      data: 180_000,
      dataTotal: 600_000,
      tlsHandshake: 30_000,
      session: 3_600_000,
    },
  });
  assert.deepEqual(config.auth, { users: [] });
  assert.deepEqual(config.queue, {
    path: "data/empath.kv",
    maxAge: 432_000_000,
    retry: [60_000, 300_000, 900_000, 3_600_000, 14_400_000],
    delayWarning: 0,
  });
  assert.deepEqual(config.observe.log, { level: "info", format: "json" });
  assert.deepEqual(config.observe.audit, {
    enabled: true,
    sink: "stdout",
    path: "data/audit.jsonl",
    redact: ["sender", "recipients"],
  });
});

Deno.test("defaultConfig() returns a fresh copy each time", () => {
  const first = defaultConfig();
  first.listen.push({
    address: "127.0.0.1:1",
    name: "x",
    starttls: false,
    auth: "disabled",
    dsn: true,
  });
  first.policy.localDomains.push("example.test");
  assert.equal(defaultConfig().listen.length, 1);
  assert.deepEqual(defaultConfig().policy.localDomains, ["localhost"]);
});

Deno.test("parseConfig() reads listeners, TLS and policy, lowercasing domains", () => {
  const config = parseConfig(`
hostname = "MX.Example.TEST"
[[listen]]
address = "[::1]:25"
[[listen]]
address = "127.0.0.1:587"
name = "submission"
starttls = false
auth = "required"
[tls]
cert = "cert.pem"
key = "key.pem"
[policy]
local_domains = ["Example.TEST"]
relay_domains = ["relay.example"]
trusted_networks = ["10.0.0.0/8", "2001:db8::/32"]
max_message_size = "10MiB"
`);
  assert.equal(config.hostname, "mx.example.test");
  assert.deepEqual(config.listen, [
    { address: "[::1]:25", name: "[::1]:25", starttls: true, auth: "disabled", dsn: true },
    { address: "127.0.0.1:587", name: "submission", starttls: false, auth: "required", dsn: true },
  ]);
  assert.deepEqual(config.tls, { cert: "cert.pem", key: "key.pem" });
  assert.deepEqual(config.policy, {
    localDomains: ["example.test"],
    relayDomains: ["relay.example"],
    trustedNetworks: ["10.0.0.0/8", "2001:db8::/32"],
    maxMessageSize: 10_485_760,
    maxRecipients: 100,
  });
});

Deno.test("parseConfig() maps snake_case keys to camelCase and converts durations", async () => {
  const hash = await hashPassword("secret");
  const config = parseConfig(`
[limits]
max_line_length = 2000
[limits.timeouts]
command = 60000
data_total = "2m"
tls_handshake = "500ms"
[[auth.users]]
username = "alice"
password_hash = "${hash}"
[queue]
max_age = "2d"
retry = ["30s", 120000]
delay_warning = "4h"
[observe.log]
level = "debug"
format = "text"
`);
  assert.equal(config.limits.maxLineLength, 2000);
  assert.deepEqual(config.limits.timeouts, {
    command: 60_000,
    data: 180_000,
    dataTotal: 120_000,
    tlsHandshake: 500,
    session: 3_600_000,
  });
  assert.deepEqual(config.auth.users, [{ username: "alice", passwordHash: hash }]);
  assert.deepEqual(config.queue, {
    path: "data/empath.kv",
    maxAge: 172_800_000,
    retry: [30_000, 120_000],
    delayWarning: 14_400_000,
  });
  assert.deepEqual(config.observe.log, { level: "debug", format: "text" });
});

Deno.test("parseConfig() reports every invalid value with its TOML key path", () => {
  const issues = issuesOf(`
hostnme = "typo.example"
[[listen]]
address = "127.0.0.1:2525"
[[listen]]
address = "127.0.0.1:99999"
starttls = "yes"
[policy]
max_recipients = -5
trusted_networks = ["10.0.0.1/8"]
max_message_size = "35XB"
[limits]
max_line_length = 999
max_command_length = 100
[limits.timeouts]
command = "5x"
[queue]
retry = []
[observe.log]
level = "loud"
`);
  assert.deepEqual(issues.map((issue) => issue.path).sort(), [
    "hostnme",
    "limits.max_command_length",
    "limits.max_line_length",
    "limits.timeouts.command",
    "listen[1].address",
    "listen[1].starttls",
    "observe.log.level",
    "policy.max_message_size",
    "policy.max_recipients",
    "policy.trusted_networks[0]",
    "queue.retry",
  ]);
  const byPath = new Map(issues.map((issue) => [issue.path, issue.message]));
  assert.equal(byPath.get("policy.max_recipients"), "invalid value -5: expected an integer >= 1");
  assert.equal(
    byPath.get("limits.max_line_length"),
    "invalid value 999: expected an integer >= 1000",
  );
  assert.match(byPath.get("listen[1].address")!, /^invalid value "127\.0\.0\.1:99999": expected/);
  assert.equal(byPath.get("listen[1].starttls"), 'invalid value "yes": expected true or false');
  assert.match(byPath.get("observe.log.level")!, /"loud": expected one of "trace", "debug"/);
  assert.match(
    byPath.get("queue.retry")!,
    /^invalid value \[\]: expected an array of at least 1 item$/,
  );
  assert.match(byPath.get("hostnme")!, /^unknown key/);
});

Deno.test("parseConfig() rejects unknown keys in every table", () => {
  const issues = issuesOf(`
[policy]
local_domain = ["x.test"]
[limits.timeouts]
idle = "5m"
[[listen]]
address = "127.0.0.1:25"
port = 25
[delivery]
concurency = 4
[delivery.timeouts]
data = "1m"
`);
  assert.deepEqual(issues.map((issue) => issue.path).sort(), [
    "delivery.concurency",
    "delivery.timeouts.data",
    "limits.timeouts.idle",
    "listen[0].port",
    "policy.local_domain",
  ]);
});

Deno.test("parseConfig() reports wrong types and missing required keys", () => {
  const issues = issuesOf(`
policy = 5
listen = [{ name = "no-address" }]
[tls]
cert = "cert.pem"
`);
  assert.deepEqual(issues, [
    {
      path: "listen[0].address",
      message:
        `missing required key: expected "host:port" or "[ipv6]:port" with a port from 0 to 65535`,
    },
    { path: "tls.key", message: "missing required key: expected a PEM private key file path" },
    { path: "policy", message: "invalid value 5: expected a table" },
  ]);
});

Deno.test("parseConfig() rejects duplicate listener names and user names", async () => {
  const hash = await hashPassword("x");
  const issues = issuesOf(`
[[listen]]
address = "127.0.0.1:25"
name = "mx"
[[listen]]
address = "127.0.0.1:26"
name = "mx"
[[auth.users]]
username = "bob"
password_hash = "${hash}"
[[auth.users]]
username = "bob"
password_hash = "${hash}"
`);
  assert.deepEqual(issues, [
    { path: "listen[1].name", message: 'duplicate name "mx": expected each name once' },
    {
      path: "auth.users[1].username",
      message: 'duplicate username "bob": expected each username once',
    },
  ]);
});

Deno.test("parseConfig() does not echo a password pasted in place of its hash", () => {
  const issues = issuesOf(`
[[auth.users]]
username = "bob"
password_hash = "hunter2"
`);
  assert.equal(issues.length, 1);
  assert.equal(issues[0].path, "auth.users[0].password_hash");
  assert.doesNotMatch(issues[0].message, /hunter2/);
});

Deno.test("parseConfig() reports a TOML syntax error with its line and column", () => {
  const text = 'hostname = "mx.example.test"\n[policy]\nmax_recipients = = 5\n';
  assert.throws(() => parseConfig(text, "empath.toml"), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.name, "ConfigError");
    assert.equal(error.issues.length, 1);
    assert.equal(error.issues[0].line, 3);
    assert.equal(error.issues[0].column, 18);
    assert.match(error.message, /^empath\.toml:3:18: invalid TOML: /);
    return true;
  });
});

Deno.test("ConfigError message has one line per issue, prefixed with the source", () => {
  assert.throws(
    () => parseConfig("[policy]\nmax_recipients = 0\nmax_message_size = -1\n", "a.toml"),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.message.split("\n"), [
        'a.toml: policy.max_message_size: invalid value -1: expected a size in bytes such as 35000000, "35MB", "10MiB" or "512KB" of at least 1 bytes',
        "a.toml: policy.max_recipients: invalid value 0: expected an integer >= 1",
      ]);
      return true;
    },
  );
});

Deno.test("parseConfig() reads [observe.metrics] max_domains: default 100, integer >= 0", () => {
  assert.equal(defaultConfig().observe.metrics.maxDomains, 100);
  const config = parseConfig("[observe.metrics]\nmax_domains = 0\n");
  assert.equal(config.observe.metrics.maxDomains, 0);
  assert.deepEqual(issuesOf("[observe.metrics]\nmax_domains = -1\n"), [{
    path: "observe.metrics.max_domains",
    message: "invalid value -1: expected an integer >= 0",
  }]);
});

Deno.test("parseConfig() reads [priority]: default, header and values, each checked", () => {
  const config = parseConfig(
    '[priority]\ndefault = 3\nheader = "Importance"\nvalues = { High = 8, low = 1 }\n',
  );
  assert.deepEqual(config.priority, {
    default: 3,
    header: "Importance",
    values: { high: 8, low: 1 },
  });
  assert.deepEqual(parseConfig("").priority, {
    default: 5,
    header: "X-Priority",
    values: { "1": 8, "2": 7, "3": 5, "4": 3, "5": 2 },
  });
  assert.equal(parseConfig('[priority]\nheader = ""\n').priority.header, "");
  for (const bad of ["default = 10", 'header = "X Priority"', "values = { high = 12 }"]) {
    assert.throws(() => parseConfig(`[priority]\n${bad}\n`), ConfigError, bad);
  }
});
