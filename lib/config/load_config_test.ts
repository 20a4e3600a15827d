import assert from "node:assert/strict";
import { ConfigError } from "./config_error.ts";
import { loadConfig } from "./load_config.ts";
import { defaultConfig } from "./parse_config.ts";

Deno.test("loadConfig() without a path returns the defaults", async () => {
  assert.deepEqual(await loadConfig(), defaultConfig());
});

Deno.test("loadConfig() reads and validates a file", async () => {
  const path = await Deno.makeTempFile({ suffix: ".toml" });
  try {
    await Deno.writeTextFile(path, "[policy]\nmax_recipients = 7\n");
    assert.equal((await loadConfig(path)).policy.maxRecipients, 7);
    await Deno.writeTextFile(path, "[policy]\nmax_recipients = 0\n");
    await assert.rejects(loadConfig(path), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.source, path);
      assert.equal(
        error.message,
        `${path}: policy.max_recipients: invalid value 0: expected an integer >= 1`,
      );
      return true;
    });
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("loadConfig() turns a missing file into a ConfigError", async () => {
  const path = `${await Deno.makeTempDir()}/missing.toml`;
  await assert.rejects(loadConfig(path), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.message, `${path}: cannot read configuration file: file not found`);
    assert.ok(error.cause instanceof Deno.errors.NotFound);
    return true;
  });
  await Deno.remove(path.replace(/\/missing\.toml$/, ""));
});

Deno.test("loadConfig() turns a directory into a ConfigError", async () => {
  const path = await Deno.makeTempDir();
  try {
    await assert.rejects(loadConfig(path), ConfigError);
  } finally {
    await Deno.remove(path);
  }
});
