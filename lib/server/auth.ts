import { verifyPassword } from "../config/mod.ts";
import { getLogger } from "../observe/mod.ts";
import type { Reply } from "../smtp/mod.ts";

const logger = getLogger(["empath", "server"]);

/** One SMTP AUTH user: a name and the scrypt hash of its password. */
export interface AuthUser {
  readonly username: string;
  readonly passwordHash: string;
}

/** The credentials a client presented with AUTH PLAIN or AUTH LOGIN. */
export interface Credentials {
  readonly mechanism: string;
  readonly authzid?: string;
  readonly username: string;
  readonly password: string;
}

/** A failed SMTP AUTH attempt: who tried, never the password. */
export interface AuthFailureInfo {
  readonly ip: string;
  readonly username: string;
  readonly mechanism: string;
}

// A valid hash of a random password: unknown users cost one scrypt too, so the
// reply time does not reveal which user names exist.
const DECOY_HASH =
  "$scrypt$ln=14,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA==$3q2+7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

/**
 * Checks SMTP AUTH credentials (RFC 4954) against the users in the
 * configuration. Passwords never reach a log line; failures are logged with the
 * user name and client address only.
 *
 * @example
 * ```ts ignore
 * const auth = new Authenticator([{ username: "alice", passwordHash: await hashPassword("pw") }]);
 * (await auth.authenticate({ mechanism: "PLAIN", username: "alice", password: "pw" }, "127.0.0.1")).code; // 235
 * ```
 */
export class Authenticator {
  readonly #users: ReadonlyMap<string, string>;
  readonly #onFailure?: (failure: AuthFailureInfo) => void;

  /**
   * @param users The accounts.
   * @param options `onFailure` is told of each failed attempt (for the audit trail).
   */
  constructor(
    users: readonly AuthUser[],
    options: { onFailure?: (failure: AuthFailureInfo) => void } = {},
  ) {
    this.#users = new Map(users.map((user) => [user.username, user.passwordHash]));
    this.#onFailure = options.onFailure;
  }

  /** Returns `235 2.7.0` for valid credentials and `535 5.7.8` otherwise. */
  async authenticate(credentials: Credentials, ip: string): Promise<Reply> {
    const hash = this.#users.get(credentials.username);
    const authzidOk = credentials.authzid === undefined || credentials.authzid === "" ||
      credentials.authzid === credentials.username;
    const valid = await verifyPassword(credentials.password, hash ?? DECOY_HASH);
    if (hash !== undefined && valid && authzidOk) {
      logger.info("Client {ip} authenticated as {user}", { ip, user: credentials.username });
      return { code: 235, enhanced: "2.7.0", lines: ["Authentication successful"] };
    }
    logger.warn("Authentication failed for {user} from {ip}", {
      ip,
      user: credentials.username,
      mechanism: credentials.mechanism,
    });
    this.#onFailure?.({ ip, username: credentials.username, mechanism: credentials.mechanism });
    return { code: 535, enhanced: "5.7.8", lines: ["Authentication credentials invalid"] };
  }
}
