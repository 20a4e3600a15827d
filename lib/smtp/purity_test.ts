import assert from "node:assert/strict";

/** Things the sans-I/O protocol core must never use (STYLE.md §4). */
const FORBIDDEN: ReadonlyArray<[string, RegExp]> = [
  ["Deno.*", /\bDeno\s*\./],
  ["timers", /\b(?:setTimeout|setInterval|setImmediate|queueMicrotask)\b/],
  ["the clock", /\b(?:Date\.now|performance\.now)\b|new Date\(\s*\)/],
  ["fetch", /\bfetch\s*\(/],
  ["console", /\bconsole\s*\./],
  ["sockets", /\b(?:WebSocket|connectTls|listenTls)\b|["']node:(?:net|tls|dgram|fs|http)/],
  ["KV", /\bopenKv\b/],
  ["TextLineStream", /\bTextLineStream\b/],
];

Deno.test("lib/smtp non-test files use no I/O, clocks, timers or console", async () => {
  const folder = new URL(".", import.meta.url);
  let checked = 0;
  for await (const entry of Deno.readDir(folder)) {
    if (!entry.isFile || !entry.name.endsWith(".ts") || entry.name.endsWith("_test.ts")) continue;
    const source = await Deno.readTextFile(new URL(entry.name, folder));
    // Doc examples are code too, but they run only under `deno test --doc`.
    const code = source.replace(/^\s*\*.*$/gm, "");
    for (const [what, pattern] of FORBIDDEN) {
      assert.doesNotMatch(code, pattern, `${entry.name} uses ${what}`);
    }
    checked++;
  }
  assert.ok(checked >= 10, `only ${checked} files checked`);
});
