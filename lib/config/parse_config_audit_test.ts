import assert from "node:assert/strict";
import { ConfigError } from "./config_error.ts";
import { defaultConfig, parseConfig } from "./parse_config.ts";

Deno.test("defaultConfig() writes the audit trail to stdout with senders and recipients redacted", () => {
  assert.deepEqual(defaultConfig().observe.audit, {
    enabled: true,
    sink: "stdout",
    path: "data/audit.jsonl",
    redact: ["sender", "recipients"],
  });
});

Deno.test("parseConfig() reads [observe.audit]", () => {
  const config = parseConfig(`
[observe.audit]
sink = "file"
path = "/var/log/empath/audit.jsonl"
redact = ["client_ip", "auth_user", "helo", "sender", "recipients"]
`);
  assert.deepEqual(config.observe.audit, {
    enabled: true,
    sink: "file",
    path: "/var/log/empath/audit.jsonl",
    redact: ["client_ip", "auth_user", "helo", "sender", "recipients"],
  });
  assert.deepEqual(parseConfig("[observe.audit]\nredact = []\nenabled = false").observe.audit, {
    enabled: false,
    sink: "stdout",
    path: "data/audit.jsonl",
    redact: [],
  });
});

Deno.test("parseConfig() rejects an unknown audit sink or redacted field", () => {
  try {
    parseConfig('[observe.audit]\nsink = "syslog"\nredact = ["sender", "body"]');
    assert.fail("expected a ConfigError");
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.issues.map((issue) => issue.path), [
      "observe.audit.sink",
      "observe.audit.redact[1]",
    ]);
  }
});
