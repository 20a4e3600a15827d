import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { ConfigError, type DkimConfig } from "../config/mod.ts";
import { dnsRecordLine, generateDkimKey, loadDkimKeys, splitTxtStrings } from "./keys.ts";

function entry(key: string, overrides: Partial<DkimConfig> = {}): DkimConfig {
  return {
    domain: "example.test",
    selector: "s1",
    key,
    headers: ["From"],
    oversign: [],
    subdomains: false,
    ...overrides,
  };
}

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "empath-dkim-keys-" });
  try {
    await run(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("loadDkimKeys() loads RSA (PKCS#8 and PKCS#1) and Ed25519 keys and infers the algorithm", async () => {
  await withDir(async (dir) => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
    await Deno.writeTextFile(
      `${dir}/pkcs1.pem`,
      rsa.privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
    );
    await Deno.writeTextFile(`${dir}/rsa.pem`, generateDkimKey("rsa").pem);
    await Deno.writeTextFile(`${dir}/ed.pem`, generateDkimKey("ed25519").pem);
    const keys = await loadDkimKeys([
      entry(`${dir}/pkcs1.pem`),
      entry(`${dir}/rsa.pem`, { selector: "s2", algorithm: "rsa" }),
      entry(`${dir}/ed.pem`, { selector: "s3" }),
    ]);
    assert.deepEqual(keys.map((key) => key.algorithm), ["rsa", "rsa", "ed25519"]);
    assert.match(keys[0].record, /^v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A/);
    assert.match(keys[2].record, /^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$/);
    assert.equal(keys[2].privateKey.algorithm.name, "Ed25519");
  });
});

Deno.test("loadDkimKeys() reports every bad key file on its own line with its key path", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/garbage.pem`, "not a key\n");
    const short = generateKeyPairSync("rsa", { modulusLength: 512 });
    await Deno.writeTextFile(
      `${dir}/short.pem`,
      short.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    );
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
    await Deno.writeTextFile(
      `${dir}/ec.pem`,
      ec.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    );
    await Deno.writeTextFile(`${dir}/ed.pem`, generateDkimKey("ed25519").pem);
    try {
      await loadDkimKeys([
        entry(`${dir}/missing.pem`),
        entry(`${dir}/garbage.pem`),
        entry(`${dir}/short.pem`),
        entry(`${dir}/ec.pem`),
        entry(`${dir}/ed.pem`, { algorithm: "rsa" }),
      ], "empath.toml");
      assert.fail("expected a ConfigError");
    } catch (caught) {
      assert.ok(caught instanceof ConfigError);
      const lines = caught.message.split("\n");
      assert.equal(lines.length, 5);
      assert.equal(
        lines[0],
        `empath.toml: dkim[0].key: cannot read private key file "${dir}/missing.pem": file not found`,
      );
      assert.match(
        lines[1],
        /^empath\.toml: dkim\[1\]\.key: file ".*garbage\.pem" is not an unencrypted PEM private key/,
      );
      assert.match(
        lines[2],
        /dkim\[2\]\.key: file ".*short\.pem" holds a 512-bit RSA key: expected at least 1024 bits/,
      );
      assert.match(
        lines[3],
        /dkim\[3\]\.key: file ".*ec\.pem" holds a key of type "ec": expected an RSA or Ed25519 key/,
      );
      assert.match(
        lines[4],
        /dkim\[4\]\.key: file ".*ed\.pem" holds a key of type "ed25519" but algorithm = "rsa"/,
      );
    }
  });
});

Deno.test("dnsRecordLine() splits an RSA 2048 record into strings of at most 255 octets", () => {
  const { record } = generateDkimKey("rsa");
  const line = dnsRecordLine({ selector: "s1", domain: "example.test", record });
  const match = /^s1\._domainkey\.example\.test\. IN TXT ((?:"[^"]*" ?)+)$/.exec(line);
  assert.ok(match, line);
  const strings = [...match[1].matchAll(/"([^"]*)"/g)].map((m) => m[1]);
  assert.equal(strings.length, 2);
  assert.ok(strings.every((text) => text.length <= 255));
  assert.equal(strings.join(""), record);
});

Deno.test("splitTxtStrings() keeps short records whole and cuts long ones at 255 octets", () => {
  assert.deepEqual(splitTxtStrings("v=DKIM1; p="), ["v=DKIM1; p="]);
  assert.deepEqual(splitTxtStrings("x".repeat(600)).map((s) => s.length), [255, 255, 90]);
  assert.deepEqual(splitTxtStrings(""), [""]);
});
