import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError, type HookConfig } from "../config/mod.ts";
import { loadHooks } from "./load_hooks.ts";

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "empath_hooks_" });
  try {
    await run(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function entry(path: string, overrides: Partial<HookConfig> = {}): HookConfig {
  return { path, timeout: 2000, afterQueue: false, ...overrides };
}

Deno.test("loadHooks() imports modules in order with their settings and a versioned URL", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "a.ts"), "export const onHelo = () => undefined;\n");
    await Deno.writeTextFile(
      join(dir, "b.js"),
      "export function onQueued() {}\nexport const helper = 1;\n",
    );
    const set = await loadHooks([
      entry(join(dir, "a.ts"), { timeout: 100 }),
      entry(join(dir, "b.js"), { afterQueue: true }),
    ]);
    assert.deepEqual(set.hooks.map((hook) => [hook.timeoutMs, hook.afterQueue]), [
      [100, false],
      [2000, true],
    ]);
    assert.match(set.hooks[0].url, /^file:\/\/.*\/a\.ts\?v=[0-9a-f]{16}$/);
    assert.deepEqual(Object.keys(set.hooks[1].module), ["onQueued"]);
    assert.ok(set.has("onHelo") && !set.has("onData"));
  });
});

Deno.test("loadHooks() imports a changed module afresh and reuses an unchanged one", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "counter.ts");
    const source = (version: number) =>
      `let calls = 0;\nexport const onHelo = () => { calls++; return { action: "reject", code: 550, text: "v${version} " + calls }; };\n`;
    await Deno.writeTextFile(path, source(1));
    const first = await loadHooks([entry(path)]);
    const again = await loadHooks([entry(path)]);
    assert.equal(first.hooks[0].module.onHelo, again.hooks[0].module.onHelo);
    await Deno.writeTextFile(path, source(2));
    const second = await loadHooks([entry(path)]);
    assert.notEqual(second.hooks[0].url, first.hooks[0].url);
    const answer = second.hooks[0].module.onHelo!({} as never) as { text: string };
    assert.equal(answer.text, "v2 1");
  });
});

Deno.test("loadHooks() reports every unusable module as a ConfigError, one line each", async () => {
  await withDir(async (dir) => {
    const write = (name: string, text: string) => Deno.writeTextFile(join(dir, name), text);
    await write("syntax.ts", "export const onHelo = (\n");
    await write("typo.ts", "export function onRcpt() {}\n");
    await write("value.ts", "export const onData = 42;\n");
    await write("none.ts", "export const helper = () => 1;\n");
    await write("late.ts", "export const onHelo = () => undefined;\n");
    await write("throws.ts", 'throw new Error("no config for the hook");\n');
    const entries = [
      entry(join(dir, "missing.ts")),
      entry(join(dir, "syntax.ts")),
      entry(join(dir, "typo.ts")),
      entry(join(dir, "value.ts")),
      entry(join(dir, "none.ts")),
      entry(join(dir, "late.ts"), { afterQueue: true }),
      entry(join(dir, "throws.ts")),
    ];
    const error = await loadHooks(entries, "empath.toml").then(() => undefined, (e) => e);
    assert.ok(error instanceof ConfigError, String(error));
    const lines = error.message.split("\n");
    assert.equal(lines.length, 7, lines.join("\n"));
    const expected = [
      /^empath\.toml: hooks\[0\]\.path: Cannot read hook module ".*missing\.ts": /,
      /^empath\.toml: hooks\[1\]\.path: Cannot load hook module ".*syntax\.ts": /,
      /hooks\[2\]\.path: .* exports "onRcpt", which is not a hook point/,
      /hooks\[3\]\.path: .* its export "onData" is not a function/,
      /hooks\[4\]\.path: .* exports none of onConnect, /,
      /hooks\[5\]\.path: .* with after_queue = true: it exports neither onQueued nor/,
      /hooks\[6\]\.path: Cannot load hook module .*: .*no config for the hook/,
    ];
    expected.forEach((pattern, index) => assert.match(lines[index], pattern));
  });
});
