import assert from "node:assert/strict";
import { ConfigError } from "./config_error.ts";
import { parseConfig } from "./parse_config.ts";

Deno.test("parseConfig() reads [[hooks]] in order, with the default timeout from [hooks_settings]", () => {
  const config = parseConfig(`
[[hooks]]
path = "config/hooks/dnsbl.ts"
[[hooks]]
path = "hooks/webhook.js"
timeout = "30s"
after_queue = true
[hooks_settings]
timeout = "500ms"
retry = ["1s", "1m"]
max_attempts = 3
`);
  assert.deepEqual(config.hooks, [
    { path: "config/hooks/dnsbl.ts", timeout: 500, afterQueue: false },
    { path: "hooks/webhook.js", timeout: 30_000, afterQueue: true },
  ]);
  assert.deepEqual(config.hooksSettings, { timeout: 500, retry: [1000, 60_000], maxAttempts: 3 });
});

Deno.test("parseConfig() defaults to no hooks, a 2 s budget and ten tries", () => {
  const config = parseConfig("");
  assert.deepEqual(config.hooks, []);
  assert.deepEqual(config.hooksSettings, {
    timeout: 2000,
    retry: [10_000, 60_000, 300_000, 900_000, 3_600_000],
    maxAttempts: 10,
  });
});

Deno.test("parseConfig() reports bad [[hooks]] entries by key path", () => {
  const cases: [string, RegExp][] = [
    [
      '[[hooks]]\npath = "hook.txt"\n',
      /^hooks\[0\]\.path: invalid value "hook\.txt": expected a module/,
    ],
    ['[[hooks]]\ntimeout = "1s"\n', /^hooks\[0\]\.path: missing required key/],
    ['[[hooks]]\npath = "a.ts"\ntimeout = "0ms"\n', /^hooks\[0\]\.timeout: /],
    ['[[hooks]]\npath = "a.ts"\nasync = true\n', /^hooks\[0\]\.async: unknown key/],
    [
      '[[hooks]]\npath = "a.ts"\n[[hooks]]\npath = "a.ts"\n',
      /^hooks\[1\]\.path: duplicate path "a\.ts"/,
    ],
    ["[hooks_settings]\nmax_attempts = 0\n", /^hooks_settings\.max_attempts: /],
  ];
  for (const [toml, pattern] of cases) {
    assert.throws(() => parseConfig(toml), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, pattern);
      return true;
    });
  }
});
