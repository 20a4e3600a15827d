import assert from "node:assert/strict";
import { VERSION } from "./lib/version.ts";

const MAIN_PATH = new URL("./main.ts", import.meta.url).pathname;

async function runMain(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const command = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--unstable-kv", MAIN_PATH, ...args],
    cwd: new URL(".", import.meta.url).pathname,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
  const output = await command.output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

Deno.test("main.ts version prints the version and exits 0", async () => {
  const result = await runMain(["version"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, new RegExp(`^empath ${VERSION.replaceAll(".", "\\.")} \\(deno `));
});

Deno.test("main.ts config check of a bad file exits 78 and names the key paths", async () => {
  const path = await Deno.makeTempFile({ suffix: ".toml" });
  try {
    await Deno.writeTextFile(path, '[policy]\nmax_recipients = 0\ntrusted_networks = ["x"]\n');
    const result = await runMain(["config", "check", path]);
    assert.equal(result.code, 78);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /policy\.max_recipients: invalid value 0/);
    assert.match(result.stderr, /policy\.trusted_networks\[0\]: invalid value "x"/);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("main.ts exits 2 on an unknown flag", async () => {
  const result = await runMain(["config", "check", "--bogus"]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /unknown option '--bogus'/);
});
