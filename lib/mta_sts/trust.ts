import { X509Certificate } from "node:crypto";
import { ConfigError } from "../config/mod.ts";

const CERTIFICATE_REGEXP = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const CONFIG_PATH = "delivery.mta_sts.ca_file";

/**
 * Reads `[delivery.mta_sts] ca_file`: the PEM CA certificates MTA-STS trusts
 * in addition to the default roots, for the policy fetch and for the MX
 * certificates a policy requires.
 *
 * @param path The PEM file.
 * @param source The configuration file, for error messages.
 * @param key The configuration key the path comes from, for error messages (another
 *   `ca_file`, such as `delivery.tls_rpt.ca_file`).
 * @returns The certificates, one PEM block each.
 * @throws {ConfigError} With an issue on `key` (by default `delivery.mta_sts.ca_file`) when
 *   the file cannot be read, holds no certificate or a certificate that does not parse.
 *
 * @example Usage
 * ```ts ignore
 * const caCerts = await loadCaFile("/etc/empath/mta-sts-ca.pem");
 * ```
 */
export async function loadCaFile(
  path: string,
  source?: string,
  key: string = CONFIG_PATH,
): Promise<string[]> {
  const problem = (message: string) => new ConfigError([{ path: key, message }], source);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw problem(`cannot read CA file "${path}": ${detail}`);
  }
  const certificates = text.match(CERTIFICATE_REGEXP) ?? [];
  if (certificates.length === 0) throw problem(`CA file "${path}" holds no PEM certificate`);
  for (const [index, pem] of certificates.entries()) {
    try {
      new X509Certificate(pem);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw problem(`certificate ${index + 1} of CA file "${path}" does not parse: ${detail}`);
    }
  }
  return certificates;
}
