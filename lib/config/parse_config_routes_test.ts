import assert from "node:assert/strict";
import { parseConfig } from "./parse_config.ts";
import { issuesOf } from "./_test_issues.ts";

Deno.test("parseConfig() names the route kinds when kind is wrong or missing", () => {
  const issues = issuesOf(`
[[routes]]
domains = ["a.example"]
kind = "smpt"
to = "relay.example"
[[routes]]
domains = ["b.example"]
path = "data/maildir"
`);
  assert.deepEqual(issues, [
    {
      path: "routes[0].kind",
      message: 'invalid value "smpt": expected one of "smtp", "lmtp", "maildir"',
    },
    {
      path: "routes[1].kind",
      message: 'missing required key: expected one of "smtp", "lmtp", "maildir"',
    },
  ]);
});

Deno.test("parseConfig() checks each route kind's keys", () => {
  const issues = issuesOf(`
[[routes]]
domains = ["maildir.example"]
kind = "maildir"
[[routes]]
domains = ["lmtp.example"]
kind = "lmtp"
to = "unix:"
[[routes]]
domains = ["lmtp2.example"]
kind = "lmtp"
to = "localhost"
tls = "required"
[[routes]]
domains = []
kind = "smtp"
to = "relay.example:0"
auth = { username = "u", password = 123456 }
[[routes]]
domains = ["bad domain"]
kind = "smtp"
to = "relay.example"
auth = { username = "u" }
`);
  assert.deepEqual(issues, [
    { path: "routes[0].path", message: "missing required key: expected a directory path" },
    {
      path: "routes[1].to",
      message:
        'invalid value "unix:": expected "host:port", "[ipv6]:port" (port from 1 to 65535) or "unix:/path/to/socket"',
    },
    {
      path: "routes[2].to",
      message:
        'invalid value "localhost": expected "host:port", "[ipv6]:port" (port from 1 to 65535) or "unix:/path/to/socket"',
    },
    {
      path: "routes[2].tls",
      message: "unknown key: not a setting here (check the spelling; see docs/CONFIG.md)",
    },
    {
      path: "routes[3].domains",
      message: "invalid value []: expected an array of at least 1 item",
    },
    {
      path: "routes[3].to",
      message:
        'invalid value "relay.example:0": expected "host:port" or "[ipv6]:port" where host is a host name or IP address and the port (default 25) is from 1 to 65535',
    },
    {
      path: "routes[3].auth.password",
      message: "invalid value (not shown): expected a non-empty string",
    },
    {
      path: "routes[4].domains[0]",
      message:
        'invalid value "bad domain": expected a domain name such as "example.test", or "*" for every other domain',
    },
    {
      path: "routes[4].auth.password",
      message: "missing required key: expected a non-empty string",
    },
  ]);
});

Deno.test("parseConfig() accepts an LMTP route to a Unix socket", () => {
  const config = parseConfig(`
[[routes]]
domains = ["example.org"]
kind = "lmtp"
to = "unix:/var/run/lmtp.sock"
`);
  assert.deepEqual(config.routes, [
    { domains: ["example.org"], kind: "lmtp", to: "unix:/var/run/lmtp.sock" },
  ]);
});

Deno.test("parseConfig() rejects a domain routed twice, naming the duplicate", () => {
  const issues = issuesOf(`
[[routes]]
domains = ["example.org", "*"]
kind = "maildir"
path = "data/maildir"
[[routes]]
domains = ["other.example", "Example.ORG", "other.example"]
kind = "smtp"
to = "relay.example"
[[routes]]
domains = ["*"]
kind = "lmtp"
to = "127.0.0.1:24"
`);
  assert.deepEqual(issues, [
    {
      path: "routes[1].domains[1]",
      message:
        'duplicate domain "example.org": expected each domain once over all routes (first in routes[0])',
    },
    {
      path: "routes[1].domains[2]",
      message:
        'duplicate domain "other.example": expected each domain once over all routes (first in routes[1])',
    },
    {
      path: "routes[2].domains[0]",
      message:
        'duplicate domain "*": expected each domain once over all routes (first in routes[0])',
    },
  ]);
});
