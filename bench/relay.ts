/**
 * End-to-end relay benchmark: Postfix `smtp-source` (20 sessions, 1 KiB
 * messages to rcpt@bench.test) → relay → Postfix `smtp-sink`, once through
 * Empath and once through a local Postfix configured as a relay (qmgr on,
 * `relayhost`, 20 connections per destination, no DNS, no TLS), in the same
 * run. The clock runs from the first message sent until the relay's queue is
 * empty and the sink has counted every message. Prints messages/s and the
 * ratio, then Empath with connection reuse against Empath without it.
 *
 * The reuse comparison isolates delivery: Empath receives the messages with
 * delivery disabled (not timed), then an in-process engine built with
 * `createDeliveryEngine(config, { ..., connectionPool: { reuse } })` (there is
 * no config key for reuse) drains the queue to the sink, timed from its start
 * until the queue is empty and the sink has counted every message; once over
 * plain loopback and once through a proxy that adds a 10 ms round trip, as
 * between MTAs on the Internet.
 *
 * Run: `deno run --unstable-kv -A bench/relay.ts [messages] [rounds]`
 * (needs the Debian package postfix).
 */
import { startPostfix, waitForPort } from "./_postfix.ts";
import { type Config, defaultConfig } from "../lib/config/mod.ts";
import { startEmpath } from "../lib/app.ts";
import { createDeliveryEngine, type DeliveryEngine } from "../lib/delivery/mod.ts";
import { CachingResolver, WireDnsBackend } from "../lib/dns/mod.ts";

const MESSAGES = Number(Deno.args[0] ?? 2000);
const ROUNDS = Number(Deno.args[1] ?? 3);
const SESSIONS = 20;
const SIZE = 1024;
const TIMEOUT_MS = 300_000;
/** One-way delays of the reuse comparison: plain loopback, and a 10 ms round trip. */
const REUSE_DELAYS_MS = [0, 5];

/** `smtp-sink -c`: counts sessions and messages from its running counter. */
async function startSink() {
  const port = freePort();
  const child = new Deno.Command("smtp-sink", {
    args: ["-u", "nobody", "-c", `127.0.0.1:${port}`, "256"],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const counts = { sessions: 0, messages: 0 };
  const reading = (async () => {
    const decoder = new TextDecoder();
    let text = "";
    for await (const chunk of child.stdout) {
      text = (text + decoder.decode(chunk, { stream: true })).slice(-200);
      const all = [...text.matchAll(/sess=(\d+) quit=\d+ mesg=(\d+)/g)];
      const last = all.at(-1);
      if (last) [counts.sessions, counts.messages] = [Number(last[1]), Number(last[2])];
    }
  })();
  await waitForPort(port);
  // waitForPort's probe is a session too.
  await until(() => Promise.resolve(counts.sessions >= 1), 5_000);
  const probes = counts.sessions;
  return {
    port,
    get sessions() {
      return counts.sessions - probes;
    },
    get messages() {
      return counts.messages;
    },
    async [Symbol.asyncDispose]() {
      child.kill("SIGKILL");
      await child.status;
      await reading;
    },
  };
}

/**
 * A TCP proxy to 127.0.0.1:`target` that delays every chunk by `delayMs` in
 * each direction (a round trip of twice that), in order, like a WAN link.
 */
function startLatencyProxy(target: number, delayMs: number) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const tasks: Promise<void>[] = [];
  const conns = new Set<Deno.Conn>();
  const closeAll = (...list: Deno.Conn[]) => {
    for (const conn of list) {
      try {
        conn.close();
      } catch {
        // already closed
      }
      conns.delete(conn);
    }
  };
  const pipe = async (from: Deno.Conn, to: Deno.Conn) => {
    let last = Promise.resolve();
    try {
      for await (const chunk of from.readable) {
        const due = performance.now() + delayMs;
        const previous = last;
        last = (async () => {
          await previous;
          const wait = due - performance.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          await to.write(chunk);
        })().catch(() => {});
      }
    } catch {
      // reset by a peer
    }
    await last;
    closeAll(from, to);
  };
  const accepting = (async () => {
    for await (const client of listener) {
      const upstream = await Deno.connect({ hostname: "127.0.0.1", port: target });
      conns.add(client).add(upstream);
      tasks.push(pipe(client, upstream), pipe(upstream, client));
    }
  })().catch(() => {});
  return {
    port: listener.addr.port,
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting;
      closeAll(...conns);
      await Promise.all(tasks);
    },
  };
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

async function until(done: () => Promise<boolean>, timeoutMs = TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!await done()) {
    if (Date.now() > deadline) throw new Error("Timed out waiting for the relay to drain");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function smtpSource(port: number): Promise<void> {
  const out = await new Deno.Command("smtp-source", {
    args: [
      "-s",
      String(SESSIONS),
      "-m",
      String(MESSAGES),
      "-l",
      String(SIZE),
      "-f",
      "bench@source.test",
      "-t",
      "rcpt@bench.test",
      `127.0.0.1:${port}`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`smtp-source failed: ${new TextDecoder().decode(out.stderr)}`);
}

/** Sends the messages to `port`, then waits until `drained()`; messages/s. */
async function relay(port: number, drained: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  await smtpSource(port);
  await until(drained);
  return MESSAGES / ((performance.now() - started) / 1000);
}

function empathConfig(dir: string, sinkPort: number): Config {
  const config = defaultConfig();
  config.hostname = "bench.empath.test";
  config.queue.path = `${dir}/queue.kv`;
  config.control.listen = "127.0.0.1:0";
  config.control.tokenFile = `${dir}/control.token`;
  config.listen = [{ address: "127.0.0.1:0", name: "smtp", starttls: false, auth: "disabled" }];
  config.limits.maxConnectionsPerIp = 1000;
  // The audit trail stays on, to a file, as in production (Postfix logs each message too).
  config.observe.audit = { ...config.observe.audit, sink: "file", path: `${dir}/audit.jsonl` };
  config.routes = [{
    domains: ["bench.test"],
    kind: "smtp",
    to: `127.0.0.1:${sinkPort}`,
    tls: "disabled",
    verifyCertificates: false,
  }];
  config.delivery.enabled = true;
  config.delivery.concurrency = 64;
  config.delivery.defaults.rate = 100_000;
  config.delivery.defaults.burst = 100_000;
  config.delivery.defaults.maxConnectionsPerHost = 20;
  return config;
}

interface RunResult {
  rate: number;
  connections: number;
}

/** Empath as `startEmpath` builds it (connection reuse on). */
async function runEmpath(): Promise<RunResult> {
  const dir = await Deno.makeTempDir({ prefix: "empath-bench-relay-" });
  await using sink = await startSink();
  const empath = await startEmpath(empathConfig(dir, sink.port));
  try {
    const rate = await relay(
      empath.listeners[0].port,
      async () => sink.messages >= MESSAGES && await empath.queue.count() === 0,
    );
    return { rate, connections: sink.sessions };
  } finally {
    await empath.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** Empath's delivery alone: a full queue drained by an engine with reuse on or off. */
async function drainEmpath(reuse: boolean, delayMs: number): Promise<RunResult> {
  const dir = await Deno.makeTempDir({ prefix: "empath-bench-relay-" });
  await using sink = await startSink();
  await using link = startLatencyProxy(sink.port, delayMs);
  const config = empathConfig(dir, delayMs > 0 ? link.port : sink.port);
  config.delivery.enabled = false;
  const empath = await startEmpath(config);
  const engine: DeliveryEngine = createDeliveryEngine(config, {
    queue: empath.queue,
    dns: new CachingResolver(new WireDnsBackend({ timeoutMs: 5000 }), {
      clock: { now: () => Date.now() },
      positiveTtlMs: 300_000,
      negativeTtlMs: 60_000,
    }),
    clock: { now: () => Date.now() },
    connectionPool: { reuse },
  });
  try {
    await smtpSource(empath.listeners[0].port);
    const started = performance.now();
    engine.start();
    await until(async () => sink.messages >= MESSAGES && await empath.queue.count() === 0);
    const rate = MESSAGES / ((performance.now() - started) / 1000);
    return { rate, connections: sink.sessions };
  } finally {
    await engine.stop();
    await empath.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

async function runPostfix(): Promise<RunResult> {
  await using sink = await startSink();
  await using postfix = await startPostfix(freePort(), {
    relayhost: `127.0.0.1:${sink.port}`,
    concurrency: 20,
  });
  const rate = await relay(
    postfix.port,
    async () => sink.messages >= MESSAGES && await postfix.inQueue() === 0,
  );
  return { rate, connections: sink.sessions };
}

function median(results: RunResult[]): RunResult {
  return [...results].sort((a, b) => a.rate - b.rate)[Math.floor(results.length / 2)];
}

function line(label: string, result: RunResult): string {
  return `${label.padEnd(32)} ${result.rate.toFixed(0).padStart(8)} msg/s   ${
    String(result.connections).padStart(6)
  } connections to the sink`;
}

async function main() {
  console.log(
    `relay end to end: smtp-source -s ${SESSIONS} -m ${MESSAGES} -l ${SIZE} → relay → smtp-sink; ` +
      `median of ${ROUNDS} rounds`,
  );
  const empath: RunResult[] = [];
  const postfix: RunResult[] = [];
  const reuse = new Map<string, RunResult[]>();
  const record = (label: string, result: RunResult) =>
    reuse.set(label, [...reuse.get(label) ?? [], result]);
  for (let round = 0; round < ROUNDS; round++) {
    empath.push(await runEmpath());
    postfix.push(await runPostfix());
    for (const delayMs of REUSE_DELAYS_MS) {
      record(`on ${delayMs}`, await drainEmpath(true, delayMs));
      record(`off ${delayMs}`, await drainEmpath(false, delayMs));
    }
  }
  const [e, p] = [median(empath), median(postfix)];
  console.log(line("empath", e));
  console.log(line("postfix (qmgr, relayhost)", p));
  console.log(`empath / postfix: ${(e.rate / p.rate).toFixed(2)}x`);
  const rates = (results: RunResult[]) => results.map((r) => r.rate.toFixed(0)).join(", ");
  console.log(`rounds (msg/s): empath ${rates(empath)}; postfix ${rates(postfix)}`);
  console.log("\nconnection reuse, delivery only (a full queue drained to the sink):");
  for (const delayMs of REUSE_DELAYS_MS) {
    const on = median(reuse.get(`on ${delayMs}`)!);
    const off = median(reuse.get(`off ${delayMs}`)!);
    const link = delayMs === 0 ? "loopback" : `${2 * delayMs} ms round trip`;
    console.log(line(`${link}, reuse on`, on));
    console.log(line(`${link}, reuse off`, off));
    console.log(
      `${link}: reuse gain ${((on.rate / off.rate - 1) * 100).toFixed(0)} % ` +
        `(rounds: on ${rates(reuse.get(`on ${delayMs}`)!)}; off ${
          rates(reuse.get(`off ${delayMs}`)!)
        })`,
    );
  }
}

if (import.meta.main) await main();
