/**
 * Accept-and-queue benchmark: Postfix `smtp-source` (20 connections, one
 * message per connection) against Empath and against a local Postfix set up to
 * accept and queue, in the same run. Prints messages/s, the ratio, and resident
 * memory. Both keep fsync on.
 *
 * Run: `deno task bench` (needs the Debian package postfix).
 */
import { startPostfix, waitForPort } from "./_postfix.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const CASES = [
  { label: "1 KiB", size: 1024, messages: 2000 },
  { label: "100 KiB", size: 100 * 1024, messages: 500 },
];
const ROUNDS = 3;
const SESSIONS = 20;

async function smtpSource(port: number, size: number, messages: number): Promise<number> {
  const started = performance.now();
  const out = await new Deno.Command("smtp-source", {
    args: [
      "-s",
      String(SESSIONS),
      "-m",
      String(messages),
      "-l",
      String(size),
      "-f",
      "bench@source.test",
      "-t",
      "sink@localhost",
      `127.0.0.1:${port}`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const seconds = (performance.now() - started) / 1000;
  if (!out.success) throw new Error(`smtp-source failed: ${new TextDecoder().decode(out.stderr)}`);
  return messages / seconds;
}

async function startEmpath(dir: string, port: number) {
  await Deno.writeTextFile(
    `${dir}/empath.toml`,
    [
      `hostname = "bench.empath.test"`,
      "[[listen]]",
      `address = "127.0.0.1:${port}"`,
      "[limits]",
      "max_connections_per_ip = 1000",
      // Accept and queue only, like the Postfix side (qmgr disabled).
      "[delivery]",
      "enabled = false",
      "[control]",
      `listen = "127.0.0.1:0"`,
      `token_file = "${dir}/control.token"`,
      "[queue]",
      `path = "${dir}/queue.kv"`,
      "[observe.log]",
      `level = "warning"`,
      // The audit trail stays on, to a file, as in production (Postfix logs each message too).
      "[observe.audit]",
      `sink = "file"`,
      `path = "${dir}/audit.jsonl"`,
    ].join("\n"),
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--unstable-kv", "-A", MAIN, "serve", "--config", `${dir}/empath.toml`],
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  await waitForPort(port);
  return child;
}

function rssKiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main() {
  const dir = await Deno.makeTempDir({ prefix: "empath-bench-" });
  const empathPort = 25_000 + Math.floor(Math.random() * 5000);
  await using postfix = await startPostfix(empathPort + 1);
  const empath = await startEmpath(dir, empathPort);
  try {
    console.log(`accept-and-queue, smtp-source -s ${SESSIONS}, median of ${ROUNDS} rounds`);
    console.log("size      empath msg/s   postfix msg/s   ratio   empath RSS   postfix RSS");
    for (const c of CASES) {
      const e: number[] = [];
      const p: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        e.push(await smtpSource(empathPort, c.size, c.messages));
        p.push(await smtpSource(postfix.port, c.size, c.messages));
      }
      const [em, pm] = [median(e), median(p)];
      console.log(
        `${c.label.padEnd(9)} ${em.toFixed(0).padStart(12)}   ${pm.toFixed(0).padStart(13)}   ` +
          `${(em / pm).toFixed(2).padStart(5)}x   ${
            (rssKiB(empath.pid) / 1024).toFixed(0).padStart(7)
          } MiB` +
          `   ${((await postfix.rssKiB()) / 1024).toFixed(0).padStart(8)} MiB`,
      );
    }
    console.log(`postfix queued ${await postfix.queued()} messages in its incoming queue`);
  } finally {
    empath.kill("SIGTERM");
    await empath.status;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) await main();
