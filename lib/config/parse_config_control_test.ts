import assert from "node:assert/strict";
import { defaultConfig, parseConfig } from "./parse_config.ts";
import { redactConfig } from "./redact_config.ts";
import { issuesOf } from "./_test_issues.ts";

const HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

Deno.test("defaultConfig() listens for control on loopback with a token file", () => {
  assert.deepEqual(defaultConfig().control, {
    listen: "127.0.0.1:8025",
    tokenFile: "data/control.token",
    tokens: [],
    maxBody: 1_048_576,
  });
});

Deno.test("parseConfig() reads [control] with tokens", () => {
  const config = parseConfig(`
[control]
listen = "[::1]:9000"
token_file = "/var/lib/empath/control.token"
max_body = "64KiB"
tokens = [
  { name = "ops", hash = "${HASH.toUpperCase()}", scope = "read" },
  { name = "root", hash = "${HASH}", scope = "admin" },
]
`);
  assert.deepEqual(config.control, {
    listen: "[::1]:9000",
    tokenFile: "/var/lib/empath/control.token",
    maxBody: 65_536,
    tokens: [
      { name: "ops", hash: HASH, scope: "read" },
      { name: "root", hash: HASH, scope: "admin" },
    ],
  });
});

Deno.test("parseConfig() names the [control] key of each bad value", () => {
  const issues = issuesOf(`
[control]
listen = "localhost"
max_body = 0
tokens = [
  { name = "ops", hash = "secret-token", scope = "write" },
  { name = "ops", hash = "${HASH}", scope = "read", extra = 1 },
]
`);
  const paths = issues.map((issue) => issue.path).sort();
  assert.deepEqual(paths, [
    "control.listen",
    "control.max_body",
    "control.tokens[0].hash",
    "control.tokens[0].scope",
    "control.tokens[1].extra",
  ]);
  const hashIssue = issues.find((issue) => issue.path === "control.tokens[0].hash")!;
  assert.ok(!hashIssue.message.includes("secret-token"), hashIssue.message);
});

Deno.test("parseConfig() rejects duplicate control token names", () => {
  const issues = issuesOf(`
[[control.tokens]]
name = "ops"
hash = "${HASH}"
scope = "read"
[[control.tokens]]
name = "ops"
hash = "${HASH}"
scope = "admin"
`);
  assert.deepEqual(issues.map((issue) => issue.path), ["control.tokens[1].name"]);
});

Deno.test("redactConfig() hides control token hashes", () => {
  const config = parseConfig(`
[[control.tokens]]
name = "ops"
hash = "${HASH}"
scope = "read"
`);
  const shown = JSON.stringify(redactConfig(config));
  assert.ok(!shown.includes(HASH));
  assert.equal(config.control.tokens[0].hash, HASH);
});
