import assert from "node:assert/strict";
import { diffConfig } from "./diff.ts";
import { defaultConfig } from "./parse_config.ts";
import { redactConfig } from "./redact_config.ts";

Deno.test("diffConfig() lists changed key paths and nothing for equal configs", () => {
  const before = defaultConfig();
  assert.deepEqual(diffConfig(before, defaultConfig()), []);
  const after = defaultConfig();
  after.delivery.defaults.rate = 2;
  after.routes.push({ domains: ["example.test"], kind: "maildir", path: "/var/mail" });
  const changes = diffConfig(before, after);
  assert.deepEqual(changes.map((c) => c.path), ["delivery.defaults.rate", "routes"]);
  assert.equal(changes[0].before, 10);
  assert.equal(changes[0].after, 2);
});

Deno.test("diffConfig() of redacted configs never shows a secret", () => {
  const before = defaultConfig();
  const after = defaultConfig();
  after.routes = [{
    domains: ["*"],
    kind: "smtp",
    to: "relay.example:587",
    tls: "required",
    verifyCertificates: true,
    auth: { username: "u", password: "hunter2-secret" },
  }];
  const text = JSON.stringify(diffConfig(redactConfig(before), redactConfig(after)));
  assert.doesNotMatch(text, /hunter2/);
  assert.match(text, /relay\.example:587/);
});
