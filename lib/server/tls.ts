import tls from "node:tls";

/** PEM file paths of the server certificate and its key. */
export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
}

/** Error raised when the TLS certificate or key cannot be loaded. */
export class TlsSetupError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TlsSetupError";
  }
}

/**
 * Loads the certificate and key into a secure context that allows TLS 1.2 and
 * newer only.
 *
 * @throws {TlsSetupError} when a file is unreadable or the key does not match.
 * @example
 * ```ts ignore
 * const context = await loadTlsContext({ cert: "config/tls/cert.pem", key: "config/tls/key.pem" });
 * ```
 */
export async function loadTlsContext(files: TlsFiles): Promise<tls.SecureContext> {
  let cert: string;
  let key: string;
  try {
    [cert, key] = await Promise.all([Deno.readTextFile(files.cert), Deno.readTextFile(files.key)]);
  } catch (cause) {
    throw new TlsSetupError(
      `Cannot read TLS certificate "${files.cert}" or key "${files.key}": ${errorText(cause)}`,
      { cause },
    );
  }
  try {
    return tls.createSecureContext({ cert, key, minVersion: "TLSv1.2" });
  } catch (cause) {
    throw new TlsSetupError(
      `Cannot use TLS certificate "${files.cert}" with key "${files.key}": ${errorText(cause)}`,
      { cause },
    );
  }
}

/** TLS parameters negotiated on a connection, for the Received header and logs. */
export interface TlsSessionInfo {
  readonly version: string;
  readonly cipher: string;
}

/**
 * Upgrades an accepted plaintext stream to TLS as the server side (RFC 3207).
 * Resolves once the handshake completes; rejects on handshake failure or timeout,
 * after destroying the socket.
 */
export function upgradeToTls(
  socket: import("node:stream").Duplex,
  context: tls.SecureContext,
  timeoutMs: number,
): Promise<{ socket: tls.TLSSocket; info: TlsSessionInfo }> {
  const secure = new tls.TLSSocket(socket, { isServer: true, secureContext: context });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error("TLS handshake timed out")), timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      secure.destroy();
      socket.destroy();
      reject(error);
    };
    secure.once("error", fail);
    secure.once("secure", () => {
      clearTimeout(timer);
      secure.removeListener("error", fail);
      const version = secure.getProtocol() ?? "unknown";
      const cipher = secure.getCipher()?.name ?? "unknown";
      resolve({ socket: secure, info: { version, cipher } });
    });
  });
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
