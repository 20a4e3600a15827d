/**
 * A throwaway Dovecot LMTP server for delivery tests: `dovecot -F` in the
 * foreground with a config in a temporary directory (base_dir, state_dir, log,
 * mailboxes, users file), listening on 127.0.0.1 with a free port and on a
 * Unix socket. Users come from a passwd-file, so any other recipient gets
 * Dovecot's `550 5.1.1 <x> User doesn't exist`. Mail is stored as
 * `maildir:<dir>/mail/%u/Maildir` (with LF line endings, as Dovecot stores it).
 * A "full" user exists but has a 1-byte quota, so Dovecot accepts its RCPT
 * and refuses the message after the final dot with `552 5.2.2` (LMTP's
 * per-recipient reply, RFC 2033 §4.2).
 *
 * Dovecot refuses to deliver as uid 0, so under root the mailboxes belong to
 * `nobody:nogroup` and Dovecot's own processes run as root.
 *
 * Tests that need it use `ignore: skipWithoutDovecot()`.
 */
import { spawnDaemon } from "./wait.ts";
import { skipWithout } from "./peers.ts";
import { freePort } from "./net.ts";

const DOVECOT = "/usr/sbin/dovecot";
const HOST = "127.0.0.1";

/** Options of {@link startDovecot}. */
export interface DovecotOptions {
  /** Full addresses of the mailboxes that exist; every other recipient is unknown. */
  readonly users: readonly string[];
  /** Full addresses of mailboxes that exist but are over quota. @default {[]} */
  readonly fullUsers?: readonly string[];
}

/** A running Dovecot; dispose to stop it and remove its directory. */
export interface Dovecot extends AsyncDisposable {
  readonly host: typeof HOST;
  /** The LMTP TCP port on 127.0.0.1. */
  readonly port: number;
  /** The LMTP Unix socket. */
  readonly socketPath: string;
  /** The messages in `user`'s INBOX (`new/` and `cur/`), oldest first by file name. */
  messages(user: string): Promise<string[]>;
  /** Dovecot's log so far. */
  log(): Promise<string>;
}

/** `ignore` flag for tests that need Dovecot's LMTP server (Debian package `dovecot-lmtpd`). */
export function skipWithoutDovecot(): boolean {
  return skipWithout("dovecot", "dovecot-lmtpd");
}

/**
 * Starts Dovecot with LMTP only and resolves once its TCP port accepts connections.
 *
 * @throws {Error} If Dovecot exits or does not listen within 10 s (after a few port retries).
 */
export async function startDovecot(options: DovecotOptions): Promise<Dovecot> {
  const dir = await Deno.makeTempDir({ prefix: "empath-dovecot-" });
  // Mail is written as "nobody" under root: it must reach the mail folder.
  await Deno.chmod(dir, 0o755);
  await Deno.mkdir(`${dir}/mail`, { mode: 0o777 });
  await Deno.chmod(`${dir}/mail`, 0o777);
  // passwd-file: user:password:uid:gid:gecos:home:shell:extra fields.
  const users = [
    ...options.users.map((user) => `${user.toLowerCase()}:::::::`),
    ...(options.fullUsers ?? []).map((user) =>
      `${user.toLowerCase()}:::::::userdb_quota_rule=*:storage=1B`
    ),
  ];
  await Deno.writeTextFile(`${dir}/users`, users.join("\n") + "\n");
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = freePort();
    await Deno.writeTextFile(`${dir}/dovecot.conf`, await dovecotConfig(dir, port));
    const server = spawn(dir);
    try {
      await waitUntilListening(port, server.exited);
      return running(dir, port, server.stop);
    } catch (error) {
      lastError = error;
      await server.stop();
    }
  }
  const log = await Deno.readTextFile(`${dir}/dovecot.log`).catch(() => "");
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  throw new Error(`Cannot start Dovecot: ${log.trim().split("\n").slice(-3).join(" | ")}`, {
    cause: lastError,
  });
}

function running(dir: string, port: number, stop: () => Promise<void>): Dovecot {
  return {
    host: HOST,
    port,
    socketPath: `${dir}/lmtp.sock`,
    messages: (user) => readMailbox(`${dir}/mail/${user.toLowerCase()}/Maildir`),
    log: () => Deno.readTextFile(`${dir}/dovecot.log`).catch(() => ""),
    async [Symbol.asyncDispose]() {
      await stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

// Dovecot 2.3: only LMTP, no TLS, everything inside `dir`. The passdb is unused
// by LMTP but keeps the auth process from complaining; the userdb decides which
// recipients exist (RCPT TO is answered from a userdb lookup).
async function dovecotConfig(dir: string, port: number): Promise<string> {
  const uid = Deno.uid() ?? 0;
  const isRoot = uid === 0;
  const self = isRoot ? "root" : await accountName(uid);
  const mailOwner = isRoot ? "uid=nobody gid=nogroup" : `uid=${uid} gid=${Deno.gid()}`;
  return `
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
protocols = lmtp
listen = ${HOST}
ssl = no
default_internal_user = ${self}
default_internal_group = ${isRoot ? "root" : self}
default_login_user = ${self}
mail_location = maildir:${dir}/mail/%u/Maildir
passdb {
  driver = passwd-file
  args = ${dir}/users
}
userdb {
  driver = passwd-file
  args = ${dir}/users
  default_fields = ${mailOwner}
}
mail_plugins = quota
plugin {
  quota = count:User quota
  quota_vsizes = yes
}
service lmtp {
  inet_listener lmtp {
    address = ${HOST}
    port = ${port}
  }
  unix_listener ${dir}/lmtp.sock {
    mode = 0666
  }
}
`;
}

async function accountName(uid: number): Promise<string> {
  const passwd = await Deno.readTextFile("/etc/passwd");
  const entry = passwd.split("\n").map((line) => line.split(":")).find((f) => f[2] === `${uid}`);
  if (entry === undefined) throw new Error(`Cannot find user ${uid} in /etc/passwd`);
  return entry[0];
}

function spawn(dir: string) {
  return spawnDaemon("dovecot", DOVECOT, ["-F", "-c", `${dir}/dovecot.conf`]);
}

async function waitUntilListening(port: number, exited: Promise<Error>): Promise<void> {
  const deadline = Date.now() + 10_000;
  let exit: Error | undefined;
  exited.then((error) => exit = error);
  while (exit === undefined) {
    try {
      (await Deno.connect({ hostname: HOST, port })).close();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`Dovecot is not listening on port ${port}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw exit;
}

async function readMailbox(maildir: string): Promise<string[]> {
  const names: string[] = [];
  for (const sub of ["new", "cur"]) {
    try {
      for await (const entry of Deno.readDir(`${maildir}/${sub}`)) {
        if (entry.isFile) names.push(`${sub}/${entry.name}`);
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  names.sort((a, b) => a.slice(4).localeCompare(b.slice(4)));
  return await Promise.all(names.map((name) => Deno.readTextFile(`${maildir}/${name}`)));
}
