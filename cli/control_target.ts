/**
 * Where `empath control` sends its requests and with which token: flags, then
 * the environment, then the configuration file (or the defaults).
 *
 * @module
 */
import { loadConfig, parseListenAddress } from "../lib/config/mod.ts";

/** The environment variable naming the control API's base URL. */
export const CONTROL_URL_ENV = "EMPATH_CONTROL_URL";
/** The environment variable holding the bearer token. */
export const CONTROL_TOKEN_ENV = "EMPATH_CONTROL_TOKEN";

/** The address and token of a control API. */
export interface ControlTarget {
  /** The base URL, without a trailing slash, such as `http://127.0.0.1:8025`. */
  readonly url: string;
  /** The bearer token. */
  readonly token: string;
}

/** What the operator gave on the command line. */
export interface ControlTargetOptions {
  /** `--url`. */
  url?: string;
  /** `--token`. */
  token?: string;
  /** `--config`: the daemon's configuration file. */
  config?: string;
}

/** The control API's address or token cannot be worked out; the message says what to pass. */
export class ControlTargetError extends Error {
  /**
   * @param message What is missing and how to supply it.
   * @param options The underlying error.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ControlTargetError";
  }
}

/**
 * Finds the control API: `--url`/`--token`, else `EMPATH_CONTROL_URL`/`EMPATH_CONTROL_TOKEN`,
 * else `http://<[control] listen>` and the token kept in `[control] token_file` of the
 * configuration (the defaults without `--config`). The configuration is read only when needed.
 *
 * @param options The flags.
 * @param getEnv Reads an environment variable.
 * @returns The base URL and the token.
 * @throws {ControlTargetError} If no token can be found (the configuration lists only hashed
 * tokens, or the token file cannot be read).
 * @throws {ConfigError} If the configuration file is invalid.
 *
 * @example Usage
 * ```ts
 * import { resolveControlTarget } from "./control_target.ts";
 * import assert from "node:assert/strict";
 *
 * const target = await resolveControlTarget({ url: "http://127.0.0.1:9/", token: "t" }, () => undefined);
 * assert.deepEqual(target, { url: "http://127.0.0.1:9", token: "t" });
 * ```
 */
export async function resolveControlTarget(
  options: ControlTargetOptions,
  getEnv: (name: string) => string | undefined,
): Promise<ControlTarget> {
  let url = nonEmpty(options.url) ?? nonEmpty(getEnv(CONTROL_URL_ENV));
  let token = nonEmpty(options.token) ?? nonEmpty(getEnv(CONTROL_TOKEN_ENV));
  if (url === undefined || token === undefined) {
    const { control } = await loadConfig(options.config);
    url ??= listenUrl(control.listen);
    token ??= await readTokenFile(control.tokenFile, control.tokens.length > 0);
  }
  return { url: url.replace(/\/+$/, ""), token };
}

/**
 * The URL a client uses for a listen address: a wildcard address becomes the loopback address.
 *
 * @param listen `[control] listen`, such as `"127.0.0.1:8025"` or `"[::]:8025"`.
 * @returns The base URL.
 *
 * @example Usage
 * ```ts
 * import { listenUrl } from "./control_target.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(listenUrl("0.0.0.0:8025"), "http://127.0.0.1:8025");
 * assert.equal(listenUrl("[::]:8025"), "http://[::1]:8025");
 * ```
 */
export function listenUrl(listen: string): string {
  const { hostname, port } = parseListenAddress(listen);
  const host = hostname === "0.0.0.0" ? "127.0.0.1" : hostname === "::" ? "::1" : hostname;
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

async function readTokenFile(path: string, hasHashedTokens: boolean): Promise<string> {
  if (hasHashedTokens) {
    throw new ControlTargetError(
      `Cannot find a control token: the configuration lists only hashed tokens ([[control.tokens]]), ` +
        `so pass --token or set ${CONTROL_TOKEN_ENV}`,
    );
  }
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ControlTargetError(
      `Cannot read the control token file "${path}": ${reason}; ` +
        `pass --token or set ${CONTROL_TOKEN_ENV}, or pass the daemon's --config`,
      { cause: error },
    );
  }
  const token = text.trim();
  if (token === "") {
    throw new ControlTargetError(`Cannot use the control token file "${path}": it is empty`);
  }
  return token;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
