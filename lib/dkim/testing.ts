/**
 * Test helpers for DKIM: throwaway keys on disk and an independent verifier
 * (mailauth's `dkimVerify`, resolving keys from a map instead of DNS).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { dkimVerify } from "mailauth/lib/dkim/verify.js";
import type { DkimAlgorithm, DkimConfig } from "../config/mod.ts";
import { DEFAULT_OVERSIGNED_HEADERS, DEFAULT_SIGNED_HEADERS } from "../config/mod.ts";
import { type DkimKey, generateDkimKey, loadDkimKeys } from "./keys.ts";

/** Keys written to a temporary directory; dispose to remove it. */
export interface TestKeys extends AsyncDisposable {
  /** The `[[dkim]]` entries naming the key files. */
  readonly configs: DkimConfig[];
  /** The loaded keys. */
  readonly keys: DkimKey[];
  /** TXT record text by DNS name (`s1._domainkey.example.test`). */
  readonly records: Map<string, string>;
  /** The directory holding the PEM files. */
  readonly dir: string;
}

/** What a test key is for; unset fields take the configuration defaults. */
export type TestKeySpec = Partial<DkimConfig> & { algorithm: DkimAlgorithm };

/**
 * Generates keys, writes them as PEM files and loads them as the daemon would.
 *
 * @param specs One entry per key; `domain` defaults to `example.test`, `selector` to the algorithm.
 */
export async function makeTestKeys(specs: readonly TestKeySpec[]): Promise<TestKeys> {
  const dir = await Deno.makeTempDir({ prefix: "empath-dkim-" });
  const configs: DkimConfig[] = [];
  const records = new Map<string, string>();
  for (const spec of specs) {
    const generated = generateDkimKey(spec.algorithm);
    const config: DkimConfig = {
      domain: "example.test",
      selector: spec.algorithm,
      headers: [...DEFAULT_SIGNED_HEADERS],
      oversign: [...DEFAULT_OVERSIGNED_HEADERS],
      subdomains: false,
      ...spec,
      key: `${dir}/${spec.selector ?? spec.algorithm}.${spec.domain ?? "example.test"}.pem`,
    };
    await Deno.writeTextFile(config.key, generated.pem, { mode: 0o600 });
    configs.push(config);
    records.set(`${config.selector}._domainkey.${config.domain}`, generated.record);
  }
  return {
    configs,
    keys: await loadDkimKeys(configs),
    records,
    dir,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

/** One signature's verdict. */
export interface Verdict {
  /** `pass`, `fail`, `neutral`, `temperror`, `permerror` or `none`. */
  readonly result: string;
  readonly domain?: string;
  readonly selector?: string;
  readonly algorithm?: string;
}

/**
 * Verifies every DKIM signature of `message` with mailauth, looking keys up in
 * `records` (TXT text by DNS name).
 */
export async function verifyWithMailauth(
  message: Uint8Array | string,
  records: ReadonlyMap<string, string>,
): Promise<Verdict[]> {
  const resolver = (name: string) => {
    const text = records.get(name.replace(/\.$/, "").toLowerCase());
    if (text === undefined) {
      return Promise.reject(Object.assign(new Error(`No TXT for ${name}`), { code: "ENOTFOUND" }));
    }
    return Promise.resolve([[text]]);
  };
  const input = typeof message === "string" ? Buffer.from(message, "latin1") : Buffer.from(message);
  const verified = await dkimVerify(input, { resolver });
  return verified.results.map((result) => ({
    result: result.status?.result ?? "none",
    domain: result.signingDomain,
    selector: result.selector,
    algorithm: result.algo,
  }));
}
