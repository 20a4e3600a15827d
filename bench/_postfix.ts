/**
 * A throwaway Postfix instance for benchmarks: its own config and queue
 * directories, smtpd on a loopback port, no DNS lookups of clients. By default
 * qmgr is disabled so that it only accepts and queues (the same job Empath's
 * receiver does); with `relayhost` it relays everything there.
 */
export interface PostfixInstance extends AsyncDisposable {
  readonly port: number;
  readonly dir: string;
  /** Files in the queue's incoming directory (one per accepted message). */
  queued(): Promise<number>;
  /** Messages anywhere in the queue (maildrop, incoming, active, deferred, hold). */
  inQueue(): Promise<number>;
  /** Resident memory of every Postfix process, in KiB. */
  rssKiB(): Promise<number>;
}

async function sh(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed: ${text}`);
  return text;
}

function masterCf(): string {
  for (const path of ["/etc/postfix/master.cf.proto", "/usr/share/postfix/master.cf.dist"]) {
    try {
      return Deno.readTextFileSync(path);
    } catch {
      // try the next location
    }
  }
  throw new Error("Cannot find Postfix's master.cf template (apt-get install postfix)");
}

const POSTFIX_DAEMONS = new Set([
  "master",
  "smtpd",
  "cleanup",
  "trivial-rewrite",
  "anvil",
  "proxymap",
  "postlogd",
  "scache",
  "tlsmgr",
  "pickup",
]);

/** Options of {@link startPostfix}. */
export interface PostfixOptions {
  /**
   * Relay every message to this `host:port` (an IP address) with qmgr
   * running: no DNS, no TLS, `concurrency` connections at most.
   */
  relayhost?: string;
  /** `default_destination_concurrency_limit` when relaying. @default {20} */
  concurrency?: number;
}

function relaySettings(options: PostfixOptions): string[] {
  if (options.relayhost === undefined) return [];
  const [host, port] = options.relayhost.split(/:(?=\d+$)/);
  return [
    `relayhost = [${host}]:${port}`,
    `default_destination_concurrency_limit = ${options.concurrency ?? 20}`,
    "smtp_dns_support_level = disabled",
    "smtp_host_lookup = native",
    "smtp_tls_security_level = none",
    "smtp_sasl_auth_enable = no",
  ];
}

async function countFiles(path: string): Promise<number> {
  let n = 0;
  try {
    for await (const entry of Deno.readDir(path)) {
      if (entry.isFile) n++;
      else if (entry.isDirectory) n += await countFiles(`${path}/${entry.name}`);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return n;
}

/** Starts Postfix on `port` with its own directories under a temp dir. */
export async function startPostfix(
  port: number,
  options: PostfixOptions = {},
): Promise<PostfixInstance> {
  const dir = await Deno.makeTempDir({ prefix: "empath-bench-postfix-" });
  // Postfix daemons run as the postfix user and must reach their directories.
  await Deno.chmod(dir, 0o755);
  const conf = `${dir}/conf`;
  await Deno.mkdir(conf);
  await Deno.mkdir(`${dir}/queue`);
  await Deno.mkdir(`${dir}/data`);
  await Deno.writeTextFile(
    `${conf}/main.cf`,
    [
      "compatibility_level = 3.6",
      `queue_directory = ${dir}/queue`,
      `data_directory = ${dir}/data`,
      "mail_owner = postfix",
      "setgid_group = postdrop",
      "inet_interfaces = 127.0.0.1",
      "inet_protocols = ipv4",
      "myhostname = bench.postfix.test",
      "mydestination = localhost",
      "mynetworks = 127.0.0.0/8",
      "alias_maps =",
      "alias_database =",
      "local_recipient_maps =",
      "smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination",
      "smtpd_peername_lookup = no",
      // Without qmgr nothing is delivered; in_flow_delay would then throttle every
      // message by 1 s, which is not what a receiving Postfix does.
      "in_flow_delay = 0",
      "default_process_limit = 100",
      // maillog_file must be under maillog_file_prefixes (/var, /dev/stdout).
      "maillog_file = /dev/stdout",
      ...relaySettings(options),
      "",
    ].join("\n"),
  );
  let master = masterCf()
    .replace(/^smtp(\s+)inet(\s+)n(\s+)-(\s+)\S+/m, `127.0.0.1:${port}$1inet$2n$3-$4n`);
  if (options.relayhost === undefined) master = master.replace(/^(qmgr\s.*)$/m, "#$1");
  await Deno.writeTextFile(`${conf}/master.cf`, master);
  await sh("postfix", ["-c", conf, "post-install", "create-missing"]);
  await sh("chown", ["-R", "postfix", `${dir}/data`]);
  await sh("postfix", ["-c", conf, "start"]);
  await waitForPort(port);
  return {
    port,
    dir,
    async queued() {
      let n = 0;
      for await (const entry of Deno.readDir(`${dir}/queue/incoming`)) if (entry.isFile) n++;
      return n;
    },
    async inQueue() {
      const dirs = ["maildrop", "incoming", "active", "deferred", "hold"];
      const counts = await Promise.all(dirs.map((name) => countFiles(`${dir}/queue/${name}`)));
      return counts.reduce((sum, n) => sum + n, 0);
    },
    async rssKiB() {
      const ps = await sh("ps", ["-eo", "rss=,comm="]);
      return ps.split("\n")
        .map((line) => line.trim().split(/\s+/))
        .filter(([, comm]) => POSTFIX_DAEMONS.has(comm))
        .reduce((sum, [rss]) => sum + Number(rss), 0);
    },
    async [Symbol.asyncDispose]() {
      await sh("postfix", ["-c", conf, "stop"]).catch(() => "");
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** Resolves once something accepts TCP connections on 127.0.0.1:`port`. */
export async function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`Nothing listens on 127.0.0.1:${port}`);
}
