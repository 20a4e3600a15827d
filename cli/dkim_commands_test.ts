import assert from "node:assert/strict";
import { loadDkimKeys } from "../lib/dkim/mod.ts";
import { runCli } from "./cli.ts";
import type { CliIo } from "./io.ts";

function fakeIo(): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    writeOut: (text) => out.push(text),
    writeErr: (text) => err.push(text),
    readStdin: () => Promise.resolve(""),
    readSecret: () => Promise.resolve(undefined),
  };
}

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "empath-keygen-" });
  try {
    await run(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The TXT text of a printed record line: its quoted strings joined. */
function recordText(line: string): string {
  return [...line.matchAll(/"([^"]*)"/g)].map((match) => match[1]).join("");
}

Deno.test("runCli() dkim keygen writes an RSA key (mode 0600) and prints its TXT record", async () => {
  await withDir(async (dir) => {
    const io = fakeIo();
    const out = `${dir}/keys/example.test.s1.pem`;
    assert.equal(await runCli(["dkim", "keygen", "Example.TEST", "s1", "--out", out], io), 0);
    const line = io.out.join("");
    assert.match(
      line,
      /^s1\._domainkey\.example\.test\. IN TXT "v=DKIM1; k=rsa; p=[^"]+" "[^"]+"\n$/,
    );
    assert.ok([...line.matchAll(/"([^"]*)"/g)].every((match) => match[1].length <= 255));
    assert.equal((await Deno.stat(out)).mode! & 0o777, 0o600);
    assert.match(io.err.join(""), /private key written to .*example\.test\.s1\.pem \(mode 0600\)/);
    assert.match(io.err.join(""), /\[\[dkim\]\]\ndomain = "example\.test"\nselector = "s1"\n/);
    const [key] = await loadDkimKeys([{
      domain: "example.test",
      selector: "s1",
      key: out,
      headers: ["From"],
      oversign: [],
      subdomains: false,
    }]);
    assert.equal(key.algorithm, "rsa");
    assert.equal(key.record, recordText(line));
  });
});

Deno.test("runCli() dkim keygen --algorithm ed25519 prints a one-string k=ed25519 record", async () => {
  await withDir(async (dir) => {
    const io = fakeIo();
    const args = ["dkim", "keygen", "example.test", "ed1", "--algorithm", "ed25519"];
    assert.equal(await runCli([...args, "--out", `${dir}/ed.pem`], io), 0);
    assert.match(
      io.out.join(""),
      /^ed1\._domainkey\.example\.test\. IN TXT "v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}="\n$/,
    );
    assert.match(await Deno.readTextFile(`${dir}/ed.pem`), /^-----BEGIN PRIVATE KEY-----\n/);
  });
});

Deno.test("runCli() dkim keygen never overwrites a file and rejects bad arguments", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/k.pem`, "keep me");
    const io = fakeIo();
    assert.equal(
      await runCli(["dkim", "keygen", "example.test", "s1", "--out", `${dir}/k.pem`], io),
      1,
    );
    assert.match(io.err.join(""), /the file exists \(a key is never overwritten\)/);
    assert.equal(await Deno.readTextFile(`${dir}/k.pem`), "keep me");
    assert.equal(io.out.join(""), "");
    for (const args of [["example_test", "s1"], ["example.test", "s 1"], ["example.test"]]) {
      assert.equal(await runCli(["dkim", "keygen", ...args], fakeIo()), 2, args.join(" "));
    }
    const badAlgorithm = ["dkim", "keygen", "example.test", "s1", "--algorithm", "dsa"];
    assert.equal(await runCli(badAlgorithm, fakeIo()), 2);
  });
});

Deno.test("runCli() serve refuses a bad DKIM key file with exit 78 and one line", async () => {
  await withDir(async (dir) => {
    const config = `${dir}/empath.toml`;
    await Deno.writeTextFile(
      config,
      `[queue]\npath = "${dir}/q/queue.kv"\n[[listen]]\naddress = "127.0.0.1:0"\n` +
        `[control]\nlisten = "127.0.0.1:0"\n` +
        `[[dkim]]\ndomain = "example.test"\nselector = "s1"\nkey = "${dir}/missing.pem"\n`,
    );
    const io = fakeIo();
    assert.equal(await runCli(["serve", "--config", config], io), 78);
    assert.deepEqual(io.err, [
      `empath: dkim[0].key: cannot read private key file "${dir}/missing.pem": file not found\n`,
    ]);
  });
});
