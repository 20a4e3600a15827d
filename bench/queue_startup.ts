// Startup cost of the queue: open the KV file, remove orphans, count messages.
//
// Fills a temp KV file with 10,000 queued 1 KiB messages (plus a few interrupted
// multi-chunk spools), then measures openKvQueue() + cleanupOrphans() + count()
// over several runs and prints the median. Target: < 1000 ms.
//
// Usage: deno run --unstable-kv -A bench/queue_startup.ts [messages] [runs]
import { join } from "node:path";
import { openKvQueue } from "../lib/queue/mod.ts";
import type { QueueStore } from "../lib/queue/mod.ts";

const MESSAGES = Number(Deno.args[0] ?? 10_000);
const RUNS = Number(Deno.args[1] ?? 7);
const FILL_WRITERS = 200;
const ORPHANS = 10;
const clock = { now: () => Date.now() };
const body = new Uint8Array(1024).fill(0x61);

async function fill(queue: QueueStore): Promise<void> {
  let next = 0;
  const writer = async () => {
    while (next++ < MESSAGES) {
      const spool = queue.createSpool();
      await spool.write(body);
      await spool.commit({
        reversePath: "bench@example.test",
        recipients: [`rcpt${next % 50}@example${next % 7}.org`],
        receivedFrom: { ip: "127.0.0.1", helo: "bench.example.test" },
      });
    }
  };
  await Promise.all(Array.from({ length: FILL_WRITERS }, writer));
  for (let i = 0; i < ORPHANS; i++) {
    await queue.createSpool().write(new Uint8Array(150_000)); // never committed
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const dir = await Deno.makeTempDir({ prefix: "empath_bench_startup_" });
try {
  const path = join(dir, "queue.kv");
  const fillStart = performance.now();
  const seed = await openKvQueue(path, { clock });
  await fill(seed);
  await seed.close();
  console.log(`filled ${MESSAGES} messages in ${(performance.now() - fillStart).toFixed(0)} ms`);
  const timings: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const start = performance.now();
    const queue = await openKvQueue(path, { clock });
    const orphans = await queue.cleanupOrphans();
    const count = await queue.count();
    const elapsed = performance.now() - start;
    await queue.close();
    timings.push(elapsed);
    console.log(
      `run ${run}: ${elapsed.toFixed(1)} ms (count ${count}, orphans removed ${orphans})`,
    );
  }
  console.log(
    `startup median: ${median(timings).toFixed(1)} ms over ${RUNS} runs (target < 1000 ms)`,
  );
} finally {
  await Deno.remove(dir, { recursive: true });
}
