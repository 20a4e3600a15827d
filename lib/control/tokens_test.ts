import assert from "node:assert/strict";
import {
  ensureTokenFile,
  hashToken,
  newToken,
  openTokenVerifier,
  TokenVerifier,
} from "./tokens.ts";

Deno.test("hashToken() returns the SHA-256 hex digest", async () => {
  assert.equal(
    await hashToken(""),
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
});

Deno.test("newToken() returns distinct 32-byte base64url tokens", () => {
  const tokens = new Set(Array.from({ length: 50 }, () => newToken()));
  assert.equal(tokens.size, 50);
  for (const token of tokens) assert.match(token, /^[A-Za-z0-9_-]{43}$/);
});

Deno.test("TokenVerifier.verify() finds the scope of each token and rejects others", async () => {
  const verifier = new TokenVerifier([
    { name: "ops", hash: await hashToken("read-token"), scope: "read" },
    { name: "root", hash: (await hashToken("admin-token")).toUpperCase(), scope: "admin" },
  ]);
  assert.deepEqual(await verifier.verify("read-token"), { name: "ops", scope: "read" });
  assert.deepEqual(await verifier.verify("admin-token"), { name: "root", scope: "admin" });
  assert.equal(await verifier.verify("admin-token "), undefined);
  assert.equal(await verifier.verify(""), undefined);
  assert.equal(await verifier.verify(undefined), undefined);
});

Deno.test("TokenVerifier rejects the empty token even if its hash is configured", async () => {
  const verifier = new TokenVerifier([{ name: "x", hash: await hashToken(""), scope: "admin" }]);
  assert.equal(await verifier.verify(""), undefined);
});

Deno.test("TokenVerifier constructor rejects a malformed hash", () => {
  assert.throws(() => new TokenVerifier([{ name: "x", hash: "abc", scope: "read" }]), TypeError);
});

Deno.test("ensureTokenFile() creates a 0600 file once and reuses it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/nested/control.token`;
    const first = await ensureTokenFile(path);
    assert.equal(first.created, true);
    const token = (await Deno.readTextFile(path)).trim();
    assert.equal(first.hash, await hashToken(token));
    if (Deno.build.os !== "windows") assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    const second = await ensureTokenFile(path);
    assert.deepEqual(second, { created: false, hash: first.hash });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ensureTokenFile() rejects an empty token file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/t`, "\n");
    await assert.rejects(() => ensureTokenFile(`${dir}/t`), TypeError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openTokenVerifier() prefers configured tokens over the token file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const hash = await hashToken("configured");
    const { verifier, tokenFile } = await openTokenVerifier({
      listen: "127.0.0.1:0",
      tokenFile: `${dir}/t`,
      tokens: [{ name: "ops", hash, scope: "read" }],
      maxBody: 1024,
    });
    assert.equal(tokenFile, undefined);
    assert.deepEqual(await verifier.verify("configured"), { name: "ops", scope: "read" });
    await assert.rejects(() => Deno.stat(`${dir}/t`), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openTokenVerifier() accepts the token file's token as admin", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const control = { listen: "127.0.0.1:0", tokenFile: `${dir}/t`, tokens: [], maxBody: 1024 };
    const { verifier } = await openTokenVerifier(control);
    const token = (await Deno.readTextFile(`${dir}/t`)).trim();
    assert.deepEqual(await verifier.verify(token), { name: "token_file", scope: "admin" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
