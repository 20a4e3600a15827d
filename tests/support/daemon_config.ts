/** The configuration file a test daemon (`spawnEmpath()`) starts from. */

/** Options of {@linkcode daemonConfig}. */
export interface DaemonConfigOptions {
  /** `hostname`. */
  readonly hostname: string;
  /** `shutdown_grace`, e.g. `"3s"`. @default {the daemon's default} */
  readonly shutdownGrace?: string;
  /** The control API's port: a fixed free one when the CLI must find it in the file. @default {0} */
  readonly controlPort?: number;
  /** `[queue] retry`, e.g. `["1h"]`. @default {the daemon's default schedule} */
  readonly retry?: readonly string[];
}

/**
 * The start of a daemon's TOML configuration, everything kept in `dir`: `hostname`, one SMTP
 * listener on a free loopback port, the control API on loopback with its token file, and the
 * queue. Append the tables a test needs (routes, `[delivery]`, `[observe.log]`…).
 *
 * @example
 * ```ts
 * import { daemonConfig } from "./daemon_config.ts";
 * const toml = daemonConfig("/tmp/x", { hostname: "mx.test", retry: ["1h"] }) +
 *   '[delivery]\nenabled = false\n';
 * ```
 */
export function daemonConfig(dir: string, options: DaemonConfigOptions): string {
  const lines = [`hostname = "${options.hostname}"`];
  if (options.shutdownGrace !== undefined) {
    lines.push(`shutdown_grace = "${options.shutdownGrace}"`);
  }
  lines.push(
    "[[listen]]",
    'address = "127.0.0.1:0"',
    "[control]",
    `listen = "127.0.0.1:${options.controlPort ?? 0}"`,
    `token_file = "${dir}/control.token"`,
    "[queue]",
    `path = "${dir}/queue.kv"`,
  );
  if (options.retry !== undefined) lines.push(`retry = ${JSON.stringify(options.retry)}`);
  return lines.join("\n") + "\n";
}

/**
 * A `[[routes]]` table that sends `domains` over SMTP to `to` (`host:port`), with `[[routes]] tls`
 * when `options.tls` is given (e.g. `"disabled"` for a plaintext test peer).
 */
export function smtpRoute(
  domains: readonly string[],
  to: string,
  options: { readonly tls?: string } = {},
): string {
  const lines = ["[[routes]]", `domains = ${JSON.stringify(domains)}`, 'kind = "smtp"'];
  lines.push(`to = "${to}"`);
  if (options.tls !== undefined) lines.push(`tls = "${options.tls}"`);
  return lines.join("\n") + "\n";
}

/** A `[[routes]]` table that delivers `domains` into the Maildir at `path`. */
export function maildirRoute(domains: readonly string[], path: string): string {
  return [
    "[[routes]]",
    `domains = ${JSON.stringify(domains)}`,
    'kind = "maildir"',
    `path = "${path}"`,
  ]
    .join("\n") + "\n";
}
