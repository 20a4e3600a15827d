// Crash-test writer: spools messages forever with several concurrent writers and prints
// each id once commit() has resolved. The test kills it with SIGKILL at a random moment.
//
// Usage: deno run --unstable-kv -A spool_loop.ts <kv-path> [writers]
import { openKvQueue } from "../kv_queue.ts";
import type { QueueStore } from "../types.ts";
import { abortsForId, bodyForId } from "./crash_body.ts";

const PIECE_SIZE = 16_384;

async function writeLoop(queue: QueueStore): Promise<never> {
  while (true) {
    const spool = queue.createSpool();
    const body = bodyForId(spool.id);
    for (let offset = 0; offset < body.byteLength; offset += PIECE_SIZE) {
      await spool.write(body.subarray(offset, offset + PIECE_SIZE));
    }
    if (abortsForId(spool.id)) {
      await spool.abort();
      continue;
    }
    await spool.commit({
      reversePath: "crash@example.test",
      recipients: ["rcpt@example.org"],
      receivedFrom: { ip: "127.0.0.1", helo: "crash.example.test" },
    });
    console.log(spool.id);
  }
}

const [path, writers = "6"] = Deno.args;
const queue = await openKvQueue(path, { clock: { now: () => Date.now() } });
await Promise.all(Array.from({ length: Number(writers) }, () => writeLoop(queue)));
