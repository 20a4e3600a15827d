import assert from "node:assert/strict";
import { join } from "node:path";
import { SEGMENT_SIZE } from "./_chunk_buffer.ts";
import { ChunkedSpoolWriter } from "./_spool_writer.ts";
import { openKvQueue } from "./kv_queue.ts";
import {
  envelope,
  ManualClock,
  patternBytes,
  readAll,
  runQueueContract,
  spoolMessage,
} from "./testing.ts";

runQueueContract("openKvQueue(:memory:)", async (deps) => {
  const queue = await openKvQueue(":memory:", deps);
  return { queue, dispose: () => queue.close() };
});

runQueueContract("openKvQueue(file)", async (deps) => {
  const dir = await Deno.makeTempDir({ prefix: "empath_queue_" });
  const queue = await openKvQueue(join(dir, "nested", "queue.kv"), deps);
  return {
    queue,
    dispose: async () => {
      await queue.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
});

/** Runs `body` with a temp directory that is removed afterwards. */
async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "empath_queue_" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Every key of the KV file whose second part is `id`. */
async function keysOf(path: string, id: string): Promise<string[]> {
  using kv = await Deno.openKv(path);
  const keys: string[] = [];
  for (const prefix of ["msg", "body", "spool", "due"]) {
    for await (const entry of kv.list({ prefix: [prefix] })) {
      if (entry.key.includes(id)) keys.push(`${String(entry.key[0])}:${String(entry.key.at(-1))}`);
    }
  }
  return keys.sort();
}

Deno.test("openKvQueue() stores a multi-chunk message under msg, body and due keys only", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "queue.kv");
    const clock = new ManualClock();
    const queue = await openKvQueue(path, { clock });
    const big = await spoolMessage(queue, patternBytes(1, 130_000), { pieces: [5000] });
    const small = await spoolMessage(queue, patternBytes(2, 64_000));
    const aborted = queue.createSpool();
    await aborted.write(patternBytes(3, 200_000));
    await aborted.abort();
    await queue.close();
    assert.deepEqual(await keysOf(path, big), [
      "body:0",
      "body:1",
      "body:2",
      `due:${big}`,
      `msg:${big}`,
    ]);
    assert.deepEqual(await keysOf(path, small), ["body:0", `due:${small}`, `msg:${small}`]);
    assert.deepEqual(await keysOf(path, aborted.id), []);
  });
});

Deno.test("abort() during a pending write() leaves no key behind", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "queue.kv");
    const queue = await openKvQueue(path, { clock: new ManualClock() });
    const spool = queue.createSpool();
    const writing = spool.write(patternBytes(13, 1 << 20));
    await spool.abort();
    await assert.rejects(writing, { name: "SpoolError" });
    await queue.close();
    assert.deepEqual(await keysOf(path, spool.id), []);
  });
});

Deno.test("openKvQueue() reopens a closed file with the same messages and count", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "queue.kv");
    const clock = new ManualClock();
    const sizes = [0, 700, 64_001, 300_000];
    const first = await openKvQueue(path, { clock });
    const ids = [];
    for (const [i, size] of sizes.entries()) {
      ids.push(await spoolMessage(first, patternBytes(i, size), { pieces: [8192] }));
      clock.advance(1000);
    }
    const before = await first.list();
    await first.close();
    await first.close();
    await using second = await openKvQueue(path, { clock });
    assert.equal(await second.cleanupOrphans(), 0);
    assert.equal(await second.count(), sizes.length);
    assert.deepEqual(await second.list(), before);
    for (const [i, id] of ids.entries()) {
      assert.deepEqual(await readAll(second.readBody(id)), patternBytes(i, sizes[i]));
    }
  });
});

Deno.test("cleanupOrphans() removes chunks of a spool interrupted before commit", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "queue.kv");
    const clock = new ManualClock();
    const first = await openKvQueue(path, { clock });
    const kept = await spoolMessage(first, patternBytes(5, 150_000));
    const interrupted = first.createSpool();
    // Two full segments (8 chunks) are stored; the last 88,000 bytes are still buffered.
    await interrupted.write(patternBytes(6, 600_000));
    await first.close(); // the process "dies" without commit or abort
    assert.deepEqual(await keysOf(path, interrupted.id), [
      ...Array.from({ length: 8 }, (_, i) => `body:${i}`),
      `spool:${interrupted.id}`,
    ]);
    await using second = await openKvQueue(path, { clock });
    assert.equal(await second.cleanupOrphans(), 1);
    assert.equal(await second.cleanupOrphans(), 0);
    assert.deepEqual(await keysOf(path, interrupted.id), []);
    assert.deepEqual(await readAll(second.readBody(kept)), patternBytes(5, 150_000));
    assert.equal(await second.count(), 1);
  });
});

Deno.test("cleanupOrphans() deletes bodies of more chunks than one commit allows", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "queue.kv");
    {
      using kv = await Deno.openKv(path);
      for (let start = 0; start < 1200; start += 400) {
        const atomic = kv.atomic();
        for (let n = start; n < start + 400; n++) {
          atomic.set(["body", "ORPHAN", n], new Uint8Array(1));
        }
        await atomic.commit();
      }
      await kv.set(["spool", "ORPHAN"], { startedAt: 0 });
    }
    await using queue = await openKvQueue(path, { clock: new ManualClock() });
    assert.equal(await queue.cleanupOrphans(), 1);
    assert.deepEqual(await keysOf(path, "ORPHAN"), []);
  });
});

Deno.test("cleanupOrphans() leaves spools of this process that are still writing", async () => {
  await using queue = await openKvQueue(":memory:", { clock: new ManualClock() });
  const spool = queue.createSpool();
  const body = patternBytes(7, 200_000);
  await spool.write(body);
  assert.equal(await queue.cleanupOrphans(), 0);
  await spool.commit(envelope());
  assert.deepEqual(await readAll(queue.readBody(spool.id)), body);
});

Deno.test("createSpool() commits 200 concurrent small messages in far fewer atomic commits", async () => {
  await withTempDir(async (dir) => {
    await using queue = await openKvQueue(join(dir, "queue.kv"), { clock: new ManualClock() });
    const ids = await Promise.all(
      Array.from({ length: 200 }, (_, i) => spoolMessage(queue, patternBytes(i, 1024))),
    );
    const metrics = queue.metrics();
    assert.equal(metrics.committedGroups, 200);
    assert.ok(metrics.atomicCommits <= 20, `expected batching, got ${metrics.atomicCommits}`);
    assert.equal(await queue.count(), 200);
    assert.deepEqual(await readAll(queue.readBody(ids[123])), patternBytes(123, 1024));
  });
});

Deno.test("write() holds at most two segments while spooling 5 MiB in small pieces", async () => {
  await using queue = await openKvQueue(":memory:", { clock: new ManualClock() });
  const body = patternBytes(8, 5 * 1024 * 1024);
  const spool = queue.createSpool();
  assert.ok(spool instanceof ChunkedSpoolWriter);
  // A concurrent writer keeps the committer busy, so chunks really wait in flight.
  const neighbour = spoolMessage(queue, patternBytes(9, 2_000_000), { pieces: [65_536] });
  let maxHeld = 0;
  for (let offset = 0; offset < body.byteLength; offset += 1000) {
    await spool.write(body.subarray(offset, offset + 1000));
    maxHeld = Math.max(maxHeld, spool.heldBytes);
  }
  await spool.commit(envelope());
  await neighbour;
  assert.ok(maxHeld <= 2 * SEGMENT_SIZE, `held ${maxHeld} bytes after a write`);
  assert.ok(spool.peakHeldBytes <= 2 * SEGMENT_SIZE, `peak ${spool.peakHeldBytes} bytes`);
  assert.ok(
    spool.peakHeldBytes > SEGMENT_SIZE,
    "a segment should be in flight while the next fills",
  );
  assert.deepEqual(await readAll(queue.readBody(spool.id)), body);
});

Deno.test("commit() after the queue closed throws SpoolError and the body is cleaned at reopen", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "queue.kv");
    const queue = await openKvQueue(path, { clock: new ManualClock() });
    const spool = queue.createSpool();
    await spool.write(patternBytes(10, 300_000)); // one segment stored, the rest buffered
    await queue.close();
    await assert.rejects(() => spool.commit(envelope()), { name: "SpoolError" });
    await spool.abort();
    await using reopened = await openKvQueue(path, { clock: new ManualClock() });
    assert.equal(await reopened.cleanupOrphans(), 1);
    assert.equal(await reopened.count(), 0);
  });
});
