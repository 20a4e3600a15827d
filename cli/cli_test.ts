import assert from "node:assert/strict";
import { verifyPassword } from "../lib/config/mod.ts";
import { VERSION } from "../lib/version.ts";
import { runCli } from "./cli.ts";
import type { CliIo } from "./io.ts";

interface FakeIo extends CliIo {
  readonly out: string[];
  readonly err: string[];
}

function fakeIo(input: { stdin?: string; secrets?: string[] } = {}): FakeIo {
  const out: string[] = [];
  const err: string[] = [];
  const secrets = input.secrets === undefined ? undefined : [...input.secrets];
  return {
    out,
    err,
    writeOut: (text) => out.push(text),
    writeErr: (text) => err.push(text),
    readStdin: () => Promise.resolve(input.stdin ?? ""),
    readSecret: () => Promise.resolve(secrets?.shift()),
  };
}

async function withTempToml<T>(text: string, run: (path: string) => Promise<T>): Promise<T> {
  const path = await Deno.makeTempFile({ suffix: ".toml" });
  try {
    await Deno.writeTextFile(path, text);
    return await run(path);
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("runCli() version prints the version, Deno version, platform and commit", async () => {
  const io = fakeIo();
  assert.equal(await runCli(["version"], io), 0);
  const platform = `${Deno.build.os}/${Deno.build.arch}`;
  assert.equal(
    io.out.join(""),
    `empath ${VERSION} (deno ${Deno.version.deno}, ${platform}, commit unknown)\n`,
  );
  const versionFlag = fakeIo();
  assert.equal(await runCli(["--version"], versionFlag), 0);
  assert.deepEqual(versionFlag.out, io.out);
  const built = fakeIo();
  assert.equal(await runCli(["version"], built, { commit: "0123456789ab" }), 0);
  assert.match(built.out.join(""), /, commit 0123456789ab\)\n$/);
});

Deno.test("VERSION matches deno.json", async () => {
  const denoJson = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  assert.equal(VERSION, denoJson.version);
});

Deno.test("runCli() --help prints usage and exits 0", async () => {
  for (const args of [["--help"], ["config", "--help"], ["serve", "-h"], ["help"]]) {
    const io = fakeIo();
    assert.equal(await runCli(args, io), 0, args.join(" "));
    assert.match(io.out.join(""), /^Usage: empath/, args.join(" "));
  }
});

Deno.test("runCli() exits 2 on usage errors", async () => {
  const cases: [string[], RegExp][] = [
    [["--bogus"], /unknown option '--bogus'/],
    [["serve", "--bogus"], /unknown option '--bogus'/],
    [["bogus"], /unknown command 'bogus'/],
    [["config", "bogus"], /unknown command 'bogus'/],
    [["config"], /Usage: empath config/],
    [["config", "check"], /missing required argument 'file'/],
    [["config", "check", "a.toml", "b.toml"], /too many arguments/],
    [["serve", "--log-level", "loud"], /argument 'loud' is invalid/],
    [["--log-format", "xml"], /argument 'xml' is invalid/],
    [["serve", "--config"], /argument missing/],
  ];
  for (const [args, expected] of cases) {
    const io = fakeIo();
    assert.equal(await runCli(args, io), 2, args.join(" "));
    assert.match(io.err.join(""), expected, args.join(" "));
    assert.deepEqual(io.out, [], args.join(" "));
  }
});

Deno.test("runCli() config check prints ok for a valid file", async () => {
  await withTempToml("[policy]\nmax_recipients = 10\n", async (path) => {
    const io = fakeIo();
    assert.equal(await runCli(["config", "check", path], io), 0);
    assert.deepEqual(io.out, [`${path}: ok\n`]);
    assert.deepEqual(io.err, []);
  });
});

Deno.test("runCli() config check warns about an open relay and still exits 0", async () => {
  await withTempToml('[policy]\ntrusted_networks = ["0.0.0.0/0", "::/0"]\n', async (path) => {
    const io = fakeIo();
    assert.equal(await runCli(["config", "check", path], io), 0);
    assert.deepEqual(io.out, [`${path}: ok\n`]);
    assert.equal(io.err.length, 1);
    assert.match(
      io.err[0],
      new RegExp(
        `^${path.replaceAll(".", "\\.")}: warning: policy\\.trusted_networks .*open relay`,
      ),
    );
  });
});

Deno.test("runCli() config check lists every problem with its key path and exits 78", async () => {
  const toml = '[policy]\nmax_recipients = -5\n[[listen]]\naddress = "nowhere"\n[queu]\n';
  await withTempToml(toml, async (path) => {
    const io = fakeIo();
    assert.equal(await runCli(["config", "check", path], io), 78);
    const lines = io.err.join("").trimEnd().split("\n");
    assert.equal(lines.length, 3);
    assert.ok(
      lines.includes(`${path}: policy.max_recipients: invalid value -5: expected an integer >= 1`),
    );
    assert.ok(
      lines.some((line) => line.startsWith(`${path}: listen[0].address: invalid value "nowhere"`)),
    );
    assert.ok(lines.some((line) => line.startsWith(`${path}: queu: unknown key`)));
  });
});

Deno.test("runCli() config check reports a missing file and a syntax error with exit 78", async () => {
  const missing = fakeIo();
  assert.equal(await runCli(["config", "check", "/nonexistent/empath.toml"], missing), 78);
  assert.match(
    missing.err.join(""),
    /^\/nonexistent\/empath\.toml: cannot read configuration file/,
  );
  await withTempToml("[policy\n", async (path) => {
    const io = fakeIo();
    assert.equal(await runCli(["config", "check", path], io), 78);
    assert.match(
      io.err.join(""),
      new RegExp(`^${path.replaceAll(".", "\\.")}:1:\\d+: invalid TOML`),
    );
  });
});

Deno.test("runCli() serve refuses an invalid configuration with exit 78 before starting", async () => {
  await withTempToml("[limits]\nmax_line_length = 10\n", async (path) => {
    for (const args of [["serve", "--config", path], ["--config", path]]) {
      const io = fakeIo();
      assert.equal(await runCli(args, io), 78);
      assert.match(
        io.err.join(""),
        /limits\.max_line_length: invalid value 10: expected an integer >= 1000/,
      );
      assert.match(io.err.join(""), /refusing to start/);
    }
  });
});

Deno.test("runCli() config hash-password --password-stdin hashes standard input", async () => {
  const io = fakeIo({ stdin: "s3cret pass\n" });
  assert.equal(await runCli(["config", "hash-password", "--password-stdin"], io), 0);
  const hash = io.out.join("").trimEnd();
  assert.equal(await verifyPassword("s3cret pass", hash), true);
});

Deno.test("runCli() config hash-password prompts twice on a terminal", async () => {
  const io = fakeIo({ secrets: ["typed", "typed"], stdin: "ignored" });
  assert.equal(await runCli(["config", "hash-password"], io), 0);
  assert.equal(await verifyPassword("typed", io.out.join("").trimEnd()), true);
  const mismatch = fakeIo({ secrets: ["typed", "typo"] });
  assert.equal(await runCli(["config", "hash-password"], mismatch), 1);
  assert.match(mismatch.err.join(""), /do not match/);
  assert.deepEqual(mismatch.out, []);
});

Deno.test("runCli() config hash-password refuses an empty password", async () => {
  const io = fakeIo({ stdin: "\n" });
  assert.equal(await runCli(["config", "hash-password"], io), 1);
  assert.match(io.err.join(""), /empty/);
});
