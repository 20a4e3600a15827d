/**
 * Checks run before Empath serves, so that a deployment mistake stops the
 * start with one clear line instead of failing later under traffic: the TLS
 * certificate and key are readable, parse and belong together; the DKIM
 * signing keys load; the queue directory is writable; the listen ports are
 * free. Part of the composition root, like lib/app.ts.
 *
 * @module
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import { dirname, join, resolve } from "node:path";
import {
  type Config,
  ConfigError,
  formatConfigIssue,
  parseListenAddress,
  type TlsConfig,
} from "./config/mod.ts";
import { loadDkimKeys } from "./dkim/mod.ts";

/** What kind of mistake a problem is: in the configuration, or in the machine around it. */
export type StartupProblemKind = "config" | "io";

/** One reason Empath cannot start. */
export interface StartupProblem {
  /** `"config"`: a file the configuration names is wrong (sysexits `EX_CONFIG`); `"io"`: the system refuses (`EX_IOERR`). */
  readonly kind: StartupProblemKind;
  /** One line, sentence case, naming the file or address. */
  readonly message: string;
}

/**
 * Runs every start-up check and returns the problems found, TLS first, then
 * the DKIM keys, the queue directory, then the ports. Ports are only bound for a moment, so
 * another process may still take one before Empath binds it; that failure is
 * reported the same way by the caller.
 *
 * @param config The validated configuration.
 * @returns The problems; empty when Empath can start.
 *
 * @example Usage
 * ```ts ignore
 * const problems = await checkStartup(config);
 * for (const problem of problems) console.error(`empath: ${problem.message}`);
 * ```
 */
export async function checkStartup(config: Config): Promise<StartupProblem[]> {
  return [
    ...(config.tls === undefined ? [] : await checkTlsFiles(config.tls)),
    ...await checkDkimKeys(config),
    ...await checkQueueDirectory(config.queue.path),
    ...checkPortsFree(config),
  ];
}

/**
 * Checks that the certificate and key files can be read, parse as PEM, and
 * that the key is the certificate's (node:crypto `X509Certificate.checkPrivateKey`).
 * Deno's TLS stack only notices a mismatched key at the first handshake.
 *
 * @param files The `[tls]` paths.
 * @returns At most one problem, of kind `"config"`.
 */
export async function checkTlsFiles(files: TlsConfig): Promise<StartupProblem[]> {
  const problem = (message: string): StartupProblem[] => [{ kind: "config", message }];
  let certPem: string;
  let keyPem: string;
  try {
    certPem = await Deno.readTextFile(files.cert);
  } catch (error) {
    return problem(`Cannot read TLS certificate "${files.cert}": ${describe(error)}`);
  }
  try {
    keyPem = await Deno.readTextFile(files.key);
  } catch (error) {
    return problem(`Cannot read TLS key "${files.key}": ${describe(error)}`);
  }
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certPem);
  } catch (error) {
    return problem(`Cannot parse TLS certificate "${files.cert}" as PEM: ${describe(error)}`);
  }
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(keyPem);
  } catch (error) {
    return problem(`Cannot parse TLS key "${files.key}" as a PEM private key: ${describe(error)}`);
  }
  if (!certificate.checkPrivateKey(key)) {
    return problem(`TLS key "${files.key}" does not match certificate "${files.cert}"`);
  }
  return [];
}

/**
 * Checks that every `[[dkim]]` key file can be read and holds an unencrypted
 * RSA (at least 1024 bits) or Ed25519 private key of the configured `algorithm`.
 *
 * @param config The `[[dkim]]` entries.
 * @returns One problem of kind `"config"` per bad key, such as
 * `dkim[0].key: cannot read private key file "k.pem": file not found`.
 */
export async function checkDkimKeys(config: Pick<Config, "dkim">): Promise<StartupProblem[]> {
  try {
    await loadDkimKeys(config.dkim);
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.map((issue) => ({ kind: "config", message: formatConfigIssue(issue) }));
  }
}

/**
 * Checks that the queue's directory exists (creating it, as opening the
 * queue would) and that a file can be created in it, and that an existing
 * queue file can be opened for writing. SQLite needs both: it creates its
 * journal beside the database.
 *
 * @param path `[queue] path`; `":memory:"` needs no check.
 * @returns At most one problem, of kind `"io"`.
 */
export async function checkQueueDirectory(path: string): Promise<StartupProblem[]> {
  if (path === ":memory:") return [];
  const problem = (message: string): StartupProblem[] => [{ kind: "io", message }];
  const directory = dirname(resolve(path));
  try {
    await Deno.mkdir(directory, { recursive: true });
  } catch (error) {
    return problem(`Cannot create queue directory "${directory}": ${describe(error)}`);
  }
  const probe = join(directory, `.empath-write-check-${crypto.randomUUID()}`);
  try {
    (await Deno.open(probe, { createNew: true, write: true })).close();
    await Deno.remove(probe);
  } catch (error) {
    return problem(`Cannot write to queue directory "${directory}": ${describe(error)}`);
  }
  try {
    (await Deno.open(path, { read: true, write: true })).close();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      return problem(`Cannot write queue file "${resolve(path)}": ${describe(error)}`);
    }
  }
  return [];
}

/**
 * Checks that every configured SMTP listener address and the control API
 * address can be bound, all at once (so two of them on one port are caught
 * too). Port 0 (any free port) is not checked.
 *
 * @param config The listeners and `[control] listen`.
 * @returns One problem of kind `"io"` per address that cannot be bound.
 */
export function checkPortsFree(config: Config): StartupProblem[] {
  const addresses = [
    ...config.listen.map((listen) => ({
      address: listen.address,
      what: `listener "${listen.name}"`,
    })),
    { address: config.control.listen, what: "the control API" },
  ];
  const bound: Deno.Listener[] = [];
  const problems: StartupProblem[] = [];
  try {
    for (const { address, what } of addresses) {
      const { hostname, port } = parseListenAddress(address);
      if (port === 0) continue;
      try {
        bound.push(Deno.listen({ hostname, port, transport: "tcp" }));
      } catch (error) {
        problems.push({
          kind: "io",
          message: `Cannot listen on "${address}" for ${what}: ${describe(error)}`,
        });
      }
    }
  } finally {
    for (const listener of bound) listener.close();
  }
  return problems;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
