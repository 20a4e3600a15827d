import { scrypt, timingSafeEqual } from "node:crypto";

/** scrypt cost used for new hashes: N = 2^14, r = 8, p = 1 (about 16 MiB of memory). */
const COST_LOG2 = 14;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Upper bound on the memory a stored hash may ask for, so a crafted hash cannot exhaust it. */
const MAX_MEMORY_BYTES = 256 * 1024 * 1024;

const PASSWORD_HASH_REGEXP =
  /^\$scrypt\$ln=([1-9]\d?),r=([1-9]\d?),p=([1-9]\d?)\$([A-Za-z0-9+/]{16,})\$([A-Za-z0-9+/]{16,})$/;

interface ScryptParameters {
  readonly costLog2: number;
  readonly blockSize: number;
  readonly parallelism: number;
  readonly salt: Uint8Array;
  readonly key: Uint8Array;
}

/**
 * Hashes a password with scrypt (N = 16384, r = 8, p = 1) and a random 16-byte salt, in the
 * format `$scrypt$ln=14,r=8,p=1$<salt base64>$<hash base64>` (unpadded base64), which
 * `[[auth.users]] password_hash` takes.
 *
 * @param password The password.
 * @returns The hash string.
 *
 * @example Usage
 * ```ts
 * import { hashPassword, verifyPassword } from "./password.ts";
 * import assert from "node:assert/strict";
 *
 * const hash = await hashPassword("correct horse");
 * assert.ok(hash.startsWith("$scrypt$ln=14,r=8,p=1$"));
 * assert.equal(await verifyPassword("correct horse", hash), true);
 * ```
 */
export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES));
  const key = await deriveKey(password, {
    costLog2: COST_LOG2,
    blockSize: BLOCK_SIZE,
    parallelism: PARALLELISM,
    salt,
    key: new Uint8Array(KEY_BYTES),
  });
  return `$scrypt$ln=${COST_LOG2},r=${BLOCK_SIZE},p=${PARALLELISM}$${encodeBase64(salt)}$${
    encodeBase64(key)
  }`;
}

/**
 * Checks a password against a hash from {@linkcode hashPassword}, comparing in constant time.
 * Never throws: a malformed hash, or one asking for too much memory, gives `false`.
 *
 * @param password The password to check.
 * @param hash The stored hash string.
 * @returns `true` if the password matches.
 *
 * @example Usage
 * ```ts
 * import { verifyPassword } from "./password.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(await verifyPassword("secret", "not a hash"), false);
 * ```
 */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const parameters = parsePasswordHash(hash);
  if (parameters === undefined) return false;
  try {
    const key = await deriveKey(password, parameters);
    return timingSafeEqual(key, parameters.key);
  } catch {
    return false;
  }
}

/**
 * Tells whether text is a password hash in the format {@linkcode hashPassword} produces.
 *
 * @param hash The text to check.
 * @returns `true` if {@linkcode verifyPassword} can use it.
 *
 * @example Usage
 * ```ts
 * import { isPasswordHash } from "./password.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isPasswordHash("hunter2"), false);
 * ```
 */
export function isPasswordHash(hash: string): boolean {
  return parsePasswordHash(hash) !== undefined;
}

function parsePasswordHash(hash: string): ScryptParameters | undefined {
  const match = PASSWORD_HASH_REGEXP.exec(hash);
  if (match === null) return undefined;
  const [costLog2, blockSize, parallelism] = [match[1], match[2], match[3]].map(Number);
  const salt = decodeBase64(match[4]);
  const key = decodeBase64(match[5]);
  const memory = 128 * 2 ** costLog2 * blockSize + 128 * blockSize * parallelism;
  if (salt === undefined || key === undefined || costLog2 > 20 || memory > MAX_MEMORY_BYTES) {
    return undefined;
  }
  if (key.length < 16 || key.length > 64 || parallelism > 16) return undefined;
  return { costLog2, blockSize, parallelism, salt, key };
}

function deriveKey(password: string, parameters: ScryptParameters): Promise<Uint8Array> {
  const options = {
    N: 2 ** parameters.costLog2,
    r: parameters.blockSize,
    p: parameters.parallelism,
    maxmem: MAX_MEMORY_BYTES * 2,
  };
  return new Promise((resolve, reject) => {
    scrypt(password, parameters.salt, parameters.key.length, options, (error, key) => {
      if (error) reject(error);
      else resolve(new Uint8Array(key));
    });
  });
}

function encodeBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/=+$/, "");
}

function decodeBase64(text: string): Uint8Array | undefined {
  try {
    return Uint8Array.from(atob(text), (character) => character.charCodeAt(0));
  } catch {
    return undefined;
  }
}
