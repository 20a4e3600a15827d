import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from "node:crypto";
import {
  ConfigError,
  type ConfigIssue,
  type DkimAlgorithm,
  type DkimConfig,
} from "../config/mod.ts";

/** RFC 8301 §3.2: signers MUST use RSA keys of at least 1024 bits. */
export const MIN_RSA_BITS = 1024;
/** The RSA key size `generateDkimKey()` creates (RFC 8301 §3.2: SHOULD be at least 2048). */
export const RSA_BITS = 2048;
/** RFC 1035 §3.3.14: one character-string of a TXT record holds at most 255 octets. */
const TXT_STRING_MAX = 255;

/** A loaded signing key with the settings of its `[[dkim]]` entry. */
export interface DkimKey {
  /** The signing domain (`d=`), lowercase. */
  readonly domain: string;
  /** The selector (`s=`), lowercase. */
  readonly selector: string;
  /** The key type. */
  readonly algorithm: DkimAlgorithm;
  /** Header fields to sign. */
  readonly headers: readonly string[];
  /** Header fields to sign once more than present. */
  readonly oversign: readonly string[];
  /** Sign for subdomains of `domain` too. */
  readonly subdomains: boolean;
  /** The private key, usable with WebCrypto `sign`. */
  readonly privateKey: CryptoKey;
  /** The DNS TXT record text that publishes the public key. */
  readonly record: string;
}

/**
 * Reads, checks and imports every `[[dkim]]` key file. Problems are collected,
 * so one error lists every bad key, one line each.
 *
 * @param entries The `[[dkim]]` entries of a validated configuration.
 * @param source The configuration file, for error messages.
 * @returns The keys, in configuration order.
 * @throws {ConfigError} With a `dkim[i].key` issue per unreadable, invalid or mismatched key.
 *
 * @example Usage
 * ```ts
 * import { loadDkimKeys } from "./keys.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(await loadDkimKeys([]), []);
 * ```
 */
export async function loadDkimKeys(
  entries: readonly DkimConfig[],
  source?: string,
): Promise<DkimKey[]> {
  const issues: ConfigIssue[] = [];
  const keys: DkimKey[] = [];
  for (const [index, entry] of entries.entries()) {
    try {
      keys.push(await loadKey(entry));
    } catch (error) {
      if (!(error instanceof KeyFileError)) throw error;
      issues.push({ path: `dkim[${index}].key`, message: error.message });
    }
  }
  if (issues.length > 0) throw new ConfigError(issues, source);
  return keys;
}

class KeyFileError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "KeyFileError";
  }
}

async function loadKey(entry: DkimConfig): Promise<DkimKey> {
  const pem = await readKeyFile(entry.key);
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    // OpenSSL's reasons ("DECODER routines::unsupported") help no one; the cause keeps them.
    throw new KeyFileError(`file "${entry.key}" is not an unencrypted PEM private key`, {
      cause: error,
    });
  }
  const algorithm = keyAlgorithm(key, entry.key);
  if (entry.algorithm !== undefined && entry.algorithm !== algorithm) {
    throw new KeyFileError(
      `file "${entry.key}" holds a key of type "${algorithm}" but algorithm = "${entry.algorithm}"`,
    );
  }
  return {
    domain: entry.domain,
    selector: entry.selector,
    algorithm,
    headers: entry.headers,
    oversign: entry.oversign,
    subdomains: entry.subdomains,
    privateKey: await importSigningKey(key, algorithm),
    record: dnsRecordText(createPublicKey(key), algorithm),
  };
}

async function readKeyFile(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound
      ? "file not found"
      : error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotCapable
      ? "permission denied"
      : reason(error);
    throw new KeyFileError(`cannot read private key file "${path}": ${why}`, { cause: error });
  }
}

function keyAlgorithm(key: KeyObject, path: string): DkimAlgorithm {
  const type = key.asymmetricKeyType;
  if (type === "ed25519") return "ed25519";
  if (type !== "rsa") {
    throw new KeyFileError(
      `file "${path}" holds a key of type "${type}": expected an RSA or Ed25519 key`,
    );
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) {
    throw new KeyFileError(
      `file "${path}" holds a ${bits}-bit RSA key: expected at least ${MIN_RSA_BITS} bits ` +
        "(RFC 8301)",
    );
  }
  return "rsa";
}

/** Imports a node:crypto private key into WebCrypto, which signs off the main thread. */
function importSigningKey(key: KeyObject, algorithm: DkimAlgorithm): Promise<CryptoKey> {
  const der = key.export({ type: "pkcs8", format: "der" });
  const params = algorithm === "rsa"
    ? { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }
    : { name: "Ed25519" };
  return crypto.subtle.importKey("pkcs8", new Uint8Array(der), params, false, ["sign"]);
}

/**
 * The TXT record text for a public key: `v=DKIM1; k=rsa; p=<SubjectPublicKeyInfo>`
 * (RFC 6376 §3.6.1) or `v=DKIM1; k=ed25519; p=<32-octet key>` (RFC 8463 §4).
 */
function dnsRecordText(publicKey: KeyObject, algorithm: DkimAlgorithm): string {
  const spki = publicKey.export({ type: "spki", format: "der" });
  // An Ed25519 SubjectPublicKeyInfo is a 12-octet header and the 32-octet key.
  const raw = algorithm === "rsa" ? spki : spki.subarray(spki.length - 32);
  return `v=DKIM1; k=${algorithm}; p=${raw.toString("base64")}`;
}

/** A new signing key: its PEM and the DNS record that publishes it. */
export interface GeneratedDkimKey {
  /** The private key, PKCS#8 PEM. */
  readonly pem: string;
  /** The TXT record text, `v=DKIM1; k=…; p=…`. */
  readonly record: string;
}

/**
 * Generates a signing key: RSA 2048 bits or Ed25519.
 *
 * @param algorithm The key type.
 * @returns The private key PEM and the TXT record text.
 *
 * @example Usage
 * ```ts
 * import { generateDkimKey } from "./keys.ts";
 * import assert from "node:assert/strict";
 *
 * const { pem, record } = generateDkimKey("ed25519");
 * assert.match(pem, /^-----BEGIN PRIVATE KEY-----/);
 * assert.match(record, /^v=DKIM1; k=ed25519; p=[A-Za-z0-9+\/]{43}=$/);
 * ```
 */
export function generateDkimKey(algorithm: DkimAlgorithm): GeneratedDkimKey {
  const { privateKey, publicKey } = algorithm === "rsa"
    ? generateKeyPairSync("rsa", { modulusLength: RSA_BITS })
    : generateKeyPairSync("ed25519");
  return {
    pem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    record: dnsRecordText(publicKey, algorithm),
  };
}

/**
 * A zone-file line publishing `record` for `selector` and `domain`, the text
 * split into quoted strings of at most 255 octets (an RSA 2048 key needs two).
 *
 * @param options The selector, the domain and the record text.
 * @returns One line, such as `s1._domainkey.example.test. IN TXT "v=DKIM1; k=ed25519; p=…"`.
 *
 * @example Usage
 * ```ts
 * import { dnsRecordLine } from "./keys.ts";
 * import assert from "node:assert/strict";
 *
 * const line = dnsRecordLine({ selector: "s1", domain: "example.test", record: "v=DKIM1; p=" });
 * assert.equal(line, 's1._domainkey.example.test. IN TXT "v=DKIM1; p="');
 * ```
 */
export function dnsRecordLine(
  options: { selector: string; domain: string; record: string },
): string {
  const strings = splitTxtStrings(options.record).map((text) => `"${text}"`);
  return `${options.selector}._domainkey.${options.domain}. IN TXT ${strings.join(" ")}`;
}

/**
 * Splits TXT record text into character-strings of at most 255 octets (the
 * record text is ASCII). A verifier joins them without separators.
 */
export function splitTxtStrings(record: string): string[] {
  const strings: string[] = [];
  for (let start = 0; start < record.length; start += TXT_STRING_MAX) {
    strings.push(record.slice(start, start + TXT_STRING_MAX));
  }
  return strings.length > 0 ? strings : [""];
}

function reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0];
}
