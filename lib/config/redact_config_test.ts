import assert from "node:assert/strict";
import { parseConfig } from "./parse_config.ts";
import { hashPassword } from "./password.ts";
import { redactConfig } from "./redact_config.ts";

Deno.test("redactConfig() hides route passwords and password hashes in a copy", async () => {
  const hash = await hashPassword("user secret");
  const config = parseConfig(`
[[auth.users]]
username = "alice"
password_hash = "${hash}"
[[routes]]
domains = ["*"]
kind = "smtp"
to = "smarthost.example"
auth = { username = "relay-user", password = "route secret" }
[[routes]]
domains = ["localhost"]
kind = "maildir"
path = "data/maildir"
`);
  const before = structuredClone(config);
  const redacted = redactConfig(config);
  const expected = structuredClone(config);
  expected.auth.users[0].passwordHash = "[redacted]";
  expected.routes[0] = {
    ...expected.routes[0],
    auth: { username: "relay-user", password: "[redacted]" },
  } as typeof expected.routes[0];
  assert.deepEqual(redacted, expected);
  assert.deepEqual(config, before);
  const shown = JSON.stringify(redacted);
  assert.doesNotMatch(shown, /route secret/);
  assert.ok(!shown.includes(hash));
});

Deno.test("redactConfig() leaves a configuration without secrets as it is", () => {
  const config = parseConfig("");
  const redacted = redactConfig(config);
  assert.deepEqual(redacted, config);
  assert.notEqual(redacted, config);
});
