// Spool throughput: 1 KiB messages committed through createSpool()/write()/commit()
// by concurrent writers against a KV file, with group commit.
//
// Ends with one 35 MB message written in 64 KiB pieces (MB/s of a single large spool).
//
// Usage: deno run --unstable-kv -A bench/queue_spool.ts [messages] [writers...]
import { join } from "node:path";
import { openKvQueue } from "../lib/queue/mod.ts";

const MESSAGES = Number(Deno.args[0] ?? 10_000);
const WRITER_COUNTS = Deno.args.length > 1 ? Deno.args.slice(1).map(Number) : [20];
const clock = { now: () => Date.now() };
const body = new Uint8Array(1024).fill(0x62);

async function measure(writers: number): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "empath_bench_spool_" });
  try {
    const queue = await openKvQueue(join(dir, "queue.kv"), { clock });
    let next = 0;
    const writer = async () => {
      while (next++ < MESSAGES) {
        const spool = queue.createSpool();
        await spool.write(body);
        await spool.commit({
          reversePath: "bench@example.test",
          recipients: ["rcpt@example.org"],
          receivedFrom: { ip: "127.0.0.1", helo: "bench.example.test" },
        });
      }
    };
    const start = performance.now();
    await Promise.all(Array.from({ length: writers }, writer));
    const seconds = (performance.now() - start) / 1000;
    const { atomicCommits } = queue.metrics();
    const count = await queue.count();
    await queue.close();
    console.log(
      `${writers} writers: ${(count / seconds).toFixed(0)} msg/s ` +
        `(${count} messages in ${seconds.toFixed(2)} s, ${atomicCommits} atomic commits, ` +
        `${(count / atomicCommits).toFixed(1)} messages per commit)`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function measureLarge(bytes: number): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "empath_bench_spool_" });
  try {
    const queue = await openKvQueue(join(dir, "queue.kv"), { clock });
    const piece = new Uint8Array(65_536).fill(0x63);
    const start = performance.now();
    const spool = queue.createSpool();
    for (let written = 0; written < bytes; written += piece.byteLength) {
      await spool.write(piece.subarray(0, Math.min(piece.byteLength, bytes - written)));
    }
    const message = await spool.commit({
      reversePath: "bench@example.test",
      recipients: ["rcpt@example.org"],
      receivedFrom: { ip: "127.0.0.1", helo: "bench.example.test" },
    });
    const seconds = (performance.now() - start) / 1000;
    await queue.close();
    console.log(
      `one ${(bytes / 1e6).toFixed(0)} MB message: ${seconds.toFixed(2)} s, ` +
        `${(bytes / 1e6 / seconds).toFixed(0)} MB/s, ${message.chunks} chunks`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (const writers of WRITER_COUNTS) await measure(writers);
await measureLarge(35_000_000);
