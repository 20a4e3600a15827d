import assert from "node:assert/strict";
import { hashPassword, isPasswordHash, verifyPassword } from "./password.ts";

const HASH_FORMAT_REGEXP = /^\$scrypt\$ln=14,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/;

Deno.test("hashPassword() produces a salted scrypt hash that verifyPassword() accepts", async () => {
  const first = await hashPassword("correct horse battery staple");
  const second = await hashPassword("correct horse battery staple");
  assert.match(first, HASH_FORMAT_REGEXP);
  assert.notEqual(first, second, "salt must be random");
  assert.equal(isPasswordHash(first), true);
  assert.equal(await verifyPassword("correct horse battery staple", first), true);
  assert.equal(await verifyPassword("correct horse battery stapler", first), false);
  assert.equal(await verifyPassword("", first), false);
});

Deno.test("verifyPassword() handles non-ASCII passwords", async () => {
  const hash = await hashPassword("pässwörd 🔑");
  assert.equal(await verifyPassword("pässwörd 🔑", hash), true);
  assert.equal(await verifyPassword("passwort 🔑", hash), false);
});

Deno.test("verifyPassword() returns false for malformed hashes instead of throwing", async () => {
  const valid = await hashPassword("secret");
  const [, , params, salt, key] = valid.split("$");
  const malformed = [
    "",
    "secret",
    "$scrypt$",
    `$bcrypt$${params}$${salt}$${key}`,
    `$scrypt$ln=14,r=8$${salt}$${key}`,
    `$scrypt$ln=14,r=8,p=1$${salt}`,
    `$scrypt$ln=14,r=8,p=1$${salt}$${key}$extra`,
    `$scrypt$ln=14,r=8,p=1$${salt}$!!!!!!!!!!!!!!!!!!`,
    `$scrypt$ln=14,r=8,p=1$${salt}$${key.slice(0, 10)}`,
    `$scrypt$ln=99,r=8,p=1$${salt}$${key}`,
    `$scrypt$ln=20,r=99,p=1$${salt}$${key}`,
    `$scrypt$ln=0,r=8,p=1$${salt}$${key}`,
    `$scrypt$ln=14,r=8,p=1$${salt}$${key}AB`,
  ];
  for (const hash of malformed) {
    assert.equal(isPasswordHash(hash), false, `isPasswordHash accepted "${hash}"`);
    assert.equal(await verifyPassword("secret", hash), false, `verified against "${hash}"`);
  }
});

Deno.test("verifyPassword() honours the cost parameters stored in the hash", async () => {
  // A cheaper stored cost (ln=10) built independently with scryptSync.
  const { scryptSync } = await import("node:crypto");
  const salt = new TextEncoder().encode("saltsaltsaltsalt");
  const key = scryptSync("secret", salt, 32, { N: 1024, r: 8, p: 1 });
  const encode = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/=+$/, "");
  const hash = `$scrypt$ln=10,r=8,p=1$${encode(salt)}$${encode(new Uint8Array(key))}`;
  assert.equal(await verifyPassword("secret", hash), true);
  assert.equal(await verifyPassword("Secret", hash), false);
});
