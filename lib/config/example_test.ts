import assert from "node:assert/strict";
import { checkConfigExample, configJsonSchema, listConfigKeys } from "./config_docs.ts";
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
    dsn: true,
  });
  expected.policy.localDomains = ["localhost", "example.test"];
  expected.delivery.domains = {
    "slow.example": { rate: 0.5, maxConnectionsPerHost: 2 },
    "bank.example": { tls: "required", verifyCertificates: true },
  };
  assert.deepEqual(config, expected);
});

Deno.test("config/empath.example.toml documents every key of the schema", async () => {
  const schema = configJsonSchema();
  const keys = listConfigKeys(schema);
  assert.ok(keys.includes("listen[].address") && keys.includes("delivery.domains.<domain>.rate"));
  // Each problem names a key missing from the example, a key not in the schema, or a comment
  // without a description or "Default: ..." sentence.
  assert.deepEqual(checkConfigExample(schema, await Deno.readTextFile(EXAMPLE_PATH)), []);
});
