import { run } from "./peers.ts";

/** A throwaway CA and a server certificate for `localhost` / 127.0.0.1 signed by it. */
export interface TestCertificates {
  readonly dir: string;
  readonly caCert: string;
  readonly cert: string;
  readonly key: string;
  /** PEM of the CA, for clients' trust stores. */
  readonly caPem: string;
}

let cached: Promise<TestCertificates> | undefined;

/**
 * Makes (once per test process) a test CA and a server certificate with
 * openssl, as an operator would. The directory is left for the OS to clean.
 */
export function testCertificates(): Promise<TestCertificates> {
  cached ??= makeCertificates();
  return cached;
}

async function makeCertificates(): Promise<TestCertificates> {
  const dir = await Deno.makeTempDir({ prefix: "empath-certs-" });
  const p = (name: string) => `${dir}/${name}`;
  await openssl([
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "30",
    "-keyout",
    p("ca.key"),
    "-out",
    p("ca.pem"),
    "-subj",
    "/CN=Empath Test CA",
  ]);
  await signCertificate(dir, p("server"), ["DNS:localhost", "IP:127.0.0.1"]);
  return {
    dir,
    caCert: p("ca.pem"),
    cert: p("server.pem"),
    key: p("server.key"),
    caPem: await Deno.readTextFile(p("ca.pem")),
  };
}

/** A server certificate and key (PEM files) signed by the test CA. */
export interface IssuedCertificate {
  readonly cert: string;
  readonly key: string;
  readonly certPem: string;
  readonly keyPem: string;
}

let issued = 0;

/**
 * Issues a server certificate for `names` (DNS subject alternative names; the
 * first is the common name) signed by the CA of {@link testCertificates}, so
 * clients trusting `caPem` accept it for exactly those names.
 */
export async function issueCertificate(names: readonly string[]): Promise<IssuedCertificate> {
  const { dir } = await testCertificates();
  const base = `${dir}/issued-${++issued}-${crypto.randomUUID().slice(0, 8)}`;
  await signCertificate(dir, base, names.map((name) => `DNS:${name}`));
  return {
    cert: `${base}.pem`,
    key: `${base}.key`,
    certPem: await Deno.readTextFile(`${base}.pem`),
    keyPem: await Deno.readTextFile(`${base}.key`),
  };
}

/**
 * Writes `<base>.key` and `<base>.pem`: a key, and a certificate for the subject alternative
 * names `altNames` (the first one's value is the common name) signed by the test CA in `dir`.
 */
async function signCertificate(
  dir: string,
  base: string,
  altNames: readonly string[],
): Promise<void> {
  const commonName = altNames[0].slice(altNames[0].indexOf(":") + 1);
  await openssl([
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    `${base}.key`,
    "-out",
    `${base}.csr`,
    "-subj",
    `/CN=${commonName}`,
  ]);
  await Deno.writeTextFile(`${base}.cnf`, `subjectAltName=${altNames.join(",")}\n`);
  await openssl([
    "x509",
    "-req",
    "-in",
    `${base}.csr`,
    "-CA",
    `${dir}/ca.pem`,
    "-CAkey",
    `${dir}/ca.key`,
    "-CAcreateserial",
    "-days",
    "30",
    "-out",
    `${base}.pem`,
    "-extfile",
    `${base}.cnf`,
  ]);
}

async function openssl(args: string[]): Promise<void> {
  const result = await run("openssl", args);
  if (result.code !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr}`);
}
