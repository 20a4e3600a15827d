/**
 * Bearer tokens of the control API: generation, SHA-256 hashing, the token
 * file the daemon creates on first start, and a verifier that compares hashes
 * in constant time.
 *
 * @module
 */
import type { ControlConfig, ControlScope, ControlTokenConfig } from "../config/mod.ts";

/** Random bytes in a generated token. */
const TOKEN_BYTES = 32;

/** The name of the token read from `token_file`, as the verifier reports it. */
export const TOKEN_FILE_NAME = "token_file";

/** Who a verified token belongs to and what it may do. */
export interface TokenIdentity {
  /** The token's configured name. */
  readonly name: string;
  /** What the token may do. */
  readonly scope: ControlScope;
}

/**
 * Hashes a token as stored in `[[control.tokens]]`: SHA-256, 64 lowercase hex digits.
 *
 * @param token The token text.
 * @returns The hex digest.
 *
 * @example Usage
 * ```ts
 * import { hashToken } from "./tokens.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   await hashToken("test"),
 *   "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
 * );
 * ```
 */
export async function hashToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * Makes a new random token: 32 bytes from `crypto.getRandomValues`, base64url without padding.
 *
 * @returns The token (43 characters).
 *
 * @example Usage
 * ```ts
 * import { newToken } from "./tokens.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(newToken(), /^[A-Za-z0-9_-]{43}$/);
 * ```
 */
export function newToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(TOKEN_BYTES));
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/**
 * Checks bearer tokens against configured SHA-256 hashes. The presented token
 * is hashed first and compared with every configured hash without stopping
 * early, so the time taken does not depend on which token (if any) matched.
 *
 * @example Usage
 * ```ts
 * import { hashToken, TokenVerifier } from "./tokens.ts";
 * import assert from "node:assert/strict";
 *
 * const verifier = new TokenVerifier([
 *   { name: "ops", hash: await hashToken("s3cret"), scope: "read" },
 * ]);
 * assert.deepEqual(await verifier.verify("s3cret"), { name: "ops", scope: "read" });
 * assert.equal(await verifier.verify("wrong"), undefined);
 * ```
 */
export class TokenVerifier {
  readonly #tokens: readonly { identity: TokenIdentity; digest: Uint8Array }[];

  /**
   * @param tokens The accepted tokens, by hash.
   * @throws {TypeError} If a hash is not 64 hexadecimal digits.
   */
  constructor(tokens: readonly ControlTokenConfig[]) {
    this.#tokens = tokens.map(({ name, scope, hash }) => ({
      identity: { name, scope },
      digest: hexToBytes(hash),
    }));
  }

  /** Number of accepted tokens. */
  get size(): number {
    return this.#tokens.length;
  }

  /**
   * Finds the token's owner.
   *
   * @param token The presented token; `undefined` when none was sent (still hashed, for timing).
   * @returns The identity, or `undefined` if the token is missing or unknown.
   */
  async verify(token: string | undefined): Promise<TokenIdentity | undefined> {
    const digest = hexToBytes(await hashToken(token ?? ""));
    let found: TokenIdentity | undefined;
    for (const candidate of this.#tokens) {
      if (constantTimeEqual(candidate.digest, digest) && found === undefined) {
        found = candidate.identity;
      }
    }
    return token === undefined || token === "" ? undefined : found;
  }
}

/**
 * Reads the token kept in `path`, or creates the file with a new token (mode
 * 0600, parent directories as needed). The token itself is never returned, so
 * it cannot end up in a log; the operator reads it from the file.
 *
 * @param path The token file.
 * @returns Whether the file was created, and the token's SHA-256 hash.
 * @throws {Deno.errors.PermissionDenied} Or another I/O error if the file cannot be read or written.
 * @throws {TypeError} If the file exists but holds no token.
 *
 * @example Usage
 * ```ts
 * import { ensureTokenFile } from "./tokens.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const first = await ensureTokenFile(`${dir}/control.token`);
 * const second = await ensureTokenFile(`${dir}/control.token`);
 * assert.equal(first.created, true);
 * assert.equal(second.created, false);
 * assert.equal(second.hash, first.hash);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function ensureTokenFile(path: string): Promise<{ created: boolean; hash: string }> {
  const existing = await readTokenFile(path);
  if (existing !== undefined) return { created: false, hash: await hashToken(existing) };
  const token = newToken();
  const parent = path.replace(/[\\/][^\\/]*$/, "");
  if (parent !== path && parent !== "") await Deno.mkdir(parent, { recursive: true });
  try {
    await Deno.writeTextFile(path, `${token}\n`, { createNew: true, mode: 0o600 });
  } catch (error) {
    // Another process created it first: use theirs.
    if (error instanceof Deno.errors.AlreadyExists) return ensureTokenFile(path);
    throw error;
  }
  if (Deno.build.os !== "windows") await Deno.chmod(path, 0o600);
  return { created: true, hash: await hashToken(token) };
}

/**
 * Builds the verifier the daemon uses: the configured `[[control.tokens]]`, or
 * when there are none, one admin token kept in `token_file` (created if absent).
 *
 * @param control The `[control]` configuration.
 * @returns The verifier, and the token file's path and whether it was just created (when used).
 *
 * @example Usage
 * ```ts
 * import { openTokenVerifier } from "./tokens.ts";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const { verifier, tokenFile } = await openTokenVerifier({
 *   listen: "127.0.0.1:0", tokenFile: `${dir}/t`, tokens: [], maxBody: 1024,
 * });
 * assert.equal(verifier.size, 1);
 * assert.equal(tokenFile?.created, true);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function openTokenVerifier(
  control: ControlConfig,
): Promise<{ verifier: TokenVerifier; tokenFile?: { path: string; created: boolean } }> {
  if (control.tokens.length > 0) return { verifier: new TokenVerifier(control.tokens) };
  const { created, hash } = await ensureTokenFile(control.tokenFile);
  const verifier = new TokenVerifier([{ name: TOKEN_FILE_NAME, hash, scope: "admin" }]);
  return { verifier, tokenFile: { path: control.tokenFile, created } };
}

async function readTokenFile(path: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  const token = text.trim();
  if (token === "") throw new TypeError(`Cannot use control token file "${path}": it is empty`);
  return token;
}

function hexToBytes(hex: string): Uint8Array {
  if (!/^[0-9a-f]{64}$/i.test(hex)) {
    throw new TypeError(`Cannot use token hash: expected 64 hexadecimal digits`);
  }
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  let difference = a.length ^ b.length;
  for (let i = 0; i < a.length && i < b.length; i++) difference |= a[i] ^ b[i];
  return difference === 0;
}
