import assert from "node:assert/strict";
import { defaultConfig } from "./parse_config.ts";
import { loadConfig } from "./load_config.ts";

const EXAMPLE_PATH = new URL("../../config/empath.example.toml", import.meta.url);

Deno.test("config/empath.example.toml yields the defaults plus its example values", async () => {
  const config = await loadConfig(EXAMPLE_PATH.pathname);
  const expected = defaultConfig();
  expected.listen.push({
    address: "127.0.0.1:5870",
    name: "submission",
    starttls: true,
    auth: "optional",
  });
  expected.policy.localDomains = ["localhost", "example.test"];
  expected.delivery.domains = {
    "slow.example": { rate: 0.5, maxConnectionsPerHost: 2 },
    "bank.example": { tls: "required", verifyCertificates: true },
  };
  assert.deepEqual(config, expected);
});

Deno.test("config/empath.example.toml and docs/CONFIG.md mention every key", async () => {
  const text = await Deno.readTextFile(EXAMPLE_PATH);
  const keys = [
    "hostname",
    "shutdown_grace",
    "address",
    "name",
    "starttls",
    "auth",
    "cert",
    "key",
    "local_domains",
    "relay_domains",
    "trusted_networks",
    "max_message_size",
    "max_recipients",
    "max_connections",
    "max_connections_per_ip",
    "max_errors",
    "max_commands",
    "max_line_length",
    "max_command_length",
    "command",
    "data",
    "data_total",
    "tls_handshake",
    "session",
    "username",
    "password_hash",
    "path",
    "max_age",
    "retry",
    "level",
    "format",
    "sink",
    "redact",
    "include_addresses",
    "max_domains",
    "name_server",
    "cache_ttl",
    "negative_ttl",
    "timeout",
    "enabled",
    "concurrency",
    "allow_private_destinations",
    "port",
    "helo_name",
    "lease_time",
    "rate",
    "burst",
    "tls",
    "verify_certificates",
    "max_connections_per_host",
    "threshold",
    "window",
    "open_for",
    "connect",
    "greeting",
    "data_block",
    "data_end",
    "domains",
    "kind",
    "to",
    "password",
    "listen",
    "token_file",
    "tokens",
    "hash",
    "scope",
    "max_body",
    "domain",
    "selector",
    "algorithm",
    "headers",
    "oversign",
    "subdomains",
  ];
  const reference = await Deno.readTextFile(new URL("../../docs/CONFIG.md", import.meta.url));
  for (const key of keys) {
    assert.match(text, new RegExp(`^#? ?${key} = `, "m"), `key "${key}" missing`);
    assert.ok(reference.includes(`| \`${key}\``), `key "${key}" missing from docs/CONFIG.md`);
  }
});
