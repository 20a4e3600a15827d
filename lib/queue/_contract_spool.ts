// Conformance cases for spooling: write, commit, abort and reading bodies back.
import assert from "node:assert/strict";
import fc from "fast-check";
import { envelope, ManualClock, patternBytes, readAll, spoolMessage } from "./_contract_support.ts";
import type { QueueFactory } from "./_contract_support.ts";
import { SpoolError } from "./spool_error.ts";
import type { QueueStore } from "./types.ts";

type Case = (queue: QueueStore, clock: ManualClock) => Promise<void>;

/** Spooling cases, by test name. */
export const SPOOL_CASES: Record<string, Case> = {
  "commit() stores bodies of 0, 1, 64000, 64001 bytes and 1 MiB byte-identical": async (queue) => {
    for (const [seed, size] of [[1, 0], [2, 1], [3, 64_000], [4, 64_001], [5, 1 << 20]]) {
      const body = patternBytes(seed, size);
      const id = await spoolMessage(queue, body, { pieces: [size, 1000, 7] });
      const message = await queue.get(id);
      assert.deepEqual(message?.size, size);
      assert.deepEqual(message?.chunks, Math.ceil(size / 64_000));
      assert.deepEqual(await readAll(queue.readBody(id)), body);
    }
    assert.deepEqual(await queue.count(), 5);
  },

  "commit() returns the stored record with its envelope": async (queue, clock) => {
    const spool = queue.createSpool();
    await spool.write(new TextEncoder().encode("hello"));
    const init = envelope({
      reversePath: "",
      recipients: ["a@example.org", "b@example.net"],
      receivedFrom: {
        ip: "2001:db8::1",
        helo: "mx.example.test",
        tls: { version: "TLSv1.3", cipher: "TLS_AES_128_GCM_SHA256" },
        authUser: "alice",
        listener: "submission",
      },
      mailParams: { body: "8BITMIME", smtputf8: true },
      traceContext: { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
      priority: 3,
    });
    const committed = await spool.commit(init);
    assert.deepEqual(committed.id, spool.id);
    assert.deepEqual(spool.size, 5);
    const stored = await queue.get(spool.id);
    assert.deepEqual(stored, committed);
    assert.deepEqual(stored?.reversePath, "");
    assert.deepEqual(stored?.recipients, [
      { address: "a@example.org", status: "pending", attempts: 0 },
      { address: "b@example.net", status: "pending", attempts: 0 },
    ]);
    assert.deepEqual(stored?.receivedFrom, init.receivedFrom);
    assert.deepEqual(stored?.mailParams, init.mailParams);
    assert.deepEqual(stored?.traceContext, init.traceContext);
    assert.deepEqual(stored?.priority, 3);
    assert.deepEqual(stored?.createdAt, clock.now());
    assert.deepEqual(stored?.nextAttemptAt, clock.now());
    assert.deepEqual(stored?.expiresAt, clock.now() + 5 * 24 * 3600 * 1000);
    assert.deepEqual([stored?.state, stored?.version, stored?.revision, stored?.attempts], [
      "queued",
      1,
      0,
      0,
    ]);
  },

  "write() copies the bytes, so callers may reuse their buffer": async (queue) => {
    const spool = queue.createSpool();
    const buffer = new Uint8Array(70_000).fill(1);
    await spool.write(buffer);
    buffer.fill(2);
    await spool.write(buffer.subarray(0, 10));
    buffer.fill(3);
    await spool.commit(envelope());
    const body = await readAll(queue.readBody(spool.id));
    assert.deepEqual(body.byteLength, 70_010);
    assert.ok(body.subarray(0, 70_000).every((byte) => byte === 1));
    assert.ok(body.subarray(70_000).every((byte) => byte === 2));
  },

  "commit() keeps bodies byte-identical for random sizes and splits": async (queue) => {
    let seed = 100;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 200_000 }),
        fc.array(fc.integer({ min: 1, max: 90_000 }), { minLength: 1, maxLength: 6 }),
        async (size, pieces) => {
          const body = patternBytes(seed++, size);
          const id = await spoolMessage(queue, body, { pieces });
          assert.deepEqual(await readAll(queue.readBody(id)), body);
          assert.deepEqual((await queue.get(id))?.size, size);
        },
      ),
      { numRuns: 12 },
    );
  },

  "abort() leaves nothing behind and is idempotent": async (queue) => {
    const spool = queue.createSpool();
    await spool.write(patternBytes(7, 200_000));
    await spool.abort();
    await spool.abort();
    assert.deepEqual(await queue.get(spool.id), undefined);
    assert.deepEqual(await queue.count(), 0);
    assert.deepEqual((await queue.list()).messages, []);
    assert.deepEqual(await queue.cleanupOrphans(), 0);
    await assert.rejects(() => spool.write(new Uint8Array(1)), SpoolError);
    await assert.rejects(() => spool.commit(envelope()), SpoolError);
  },

  "abort() during a pending write() stops it and drops every chunk": async (queue) => {
    const spool = queue.createSpool();
    const writing = spool.write(patternBytes(11, 1 << 20));
    const aborting = spool.abort();
    const outcome = await writing.then(() => "written", (error) => error);
    await aborting;
    assert.ok(outcome === "written" || outcome instanceof SpoolError, String(outcome));
    assert.equal(await queue.get(spool.id), undefined);
    assert.equal(await queue.cleanupOrphans(), 0);
    await assert.rejects(() => readAll(queue.readBody(spool.id)), SpoolError);
    const next = await spoolMessage(queue, patternBytes(12, 100));
    assert.deepEqual(await readAll(queue.readBody(next)), patternBytes(12, 100));
  },

  "abort() after commit() keeps the message": async (queue) => {
    const id = await spoolAndKeep(queue);
    assert.deepEqual((await queue.get(id))?.id, id);
  },

  "commit() twice throws SpoolError": async (queue) => {
    const spool = queue.createSpool();
    await spool.commit(envelope());
    await assert.rejects(() => spool.commit(envelope()), SpoolError);
    await assert.rejects(() => spool.write(new Uint8Array(1)), SpoolError);
  },

  "commit() without recipients throws SpoolError and drops the body": async (queue) => {
    const spool = queue.createSpool();
    await spool.write(patternBytes(8, 150_000));
    await assert.rejects(() => spool.commit(envelope({ recipients: [] })), SpoolError);
    assert.deepEqual(await queue.count(), 0);
    assert.deepEqual(await queue.cleanupOrphans(), 0);
    await spool.abort();
  },

  "commit() rejects a recipient list that could outgrow the record": async (queue) => {
    const many = Array.from({ length: 1000 }, (_, i) => `user${i}@example.org`);
    const spool = queue.createSpool();
    await spool.write(new Uint8Array(10));
    await assert.rejects(() => spool.commit(envelope({ recipients: many })), SpoolError);
    const long = Array.from({ length: 100 }, (_, i) => `${i}${"x".repeat(60)}@${"d".repeat(180)}`);
    const accepted = queue.createSpool();
    assert.deepEqual(
      (await accepted.commit(envelope({ recipients: long }))).recipients.length,
      100,
    );
  },

  "createSpool() ids are unique, 26 characters and sorted by time": async (queue, clock) => {
    const spools = [];
    for (let i = 0; i < 20; i++) {
      spools.push(queue.createSpool());
      clock.advance(1);
    }
    await Promise.all(spools.map((spool) => spool.abort()));
    const ids = spools.map((spool) => spool.id);
    assert.deepEqual(new Set(ids).size, 20);
    assert.ok(ids.every((id) => id.length === 26));
    assert.deepEqual([...ids].sort(), ids);
  },

  "commit() with a headerPrefix: readBody() yields it first and size counts it": async (queue) => {
    const prefix = "DKIM-Signature: v=1; a=ed25519-sha256; d=example.test; s=s1;\r\n\tb=abc\r\n";
    for (const size of [0, 10, 64_000, 300_000]) {
      const body = patternBytes(40 + size, size);
      const id = await spoolMessage(queue, body, { envelope: envelope({ headerPrefix: prefix }) });
      const stored = await queue.get(id);
      assert.deepEqual(stored?.headerPrefix, prefix);
      assert.deepEqual(stored?.size, prefix.length + size);
      assert.deepEqual(stored?.chunks, Math.ceil(size / 64_000));
      const all = await readAll(queue.readBody(id));
      assert.deepEqual(new TextDecoder().decode(all.subarray(0, prefix.length)), prefix);
      assert.deepEqual(all.subarray(prefix.length), body);
      assert.deepEqual(all.byteLength, stored?.size);
      assert.ok(stored && await queue.update({ ...stored, priority: 1 }));
      assert.deepEqual((await queue.get(id))?.headerPrefix, prefix);
    }
  },

  "commit() rejects a headerPrefix that is not ASCII lines": async (queue) => {
    for (const headerPrefix of ["X-Test: no line end", "X-Test: caf\u00e9\r\n"]) {
      const spool = queue.createSpool();
      await spool.write(new Uint8Array(10));
      await assert.rejects(() => spool.commit(envelope({ headerPrefix })), SpoolError);
    }
    assert.deepEqual(await queue.count(), 0);
  },

  "readBody() of an unknown id errors with SpoolError": async (queue) => {
    await assert.rejects(() => readAll(queue.readBody("01JDG7ZQ1M6V4P3X8R2N5K7W9A")), SpoolError);
  },

  "concurrent spools all commit with their own bodies": async (queue) => {
    const sizes = [0, 10, 64_000, 64_001, 130_000, 5, 1024, 300_000];
    const bodies = sizes.map((size, i) => patternBytes(1000 + i, size));
    const ids = await Promise.all(
      bodies.map((body, i) => spoolMessage(queue, body, { pieces: [4096 + i * 997] })),
    );
    for (const [i, id] of ids.entries()) {
      assert.deepEqual(await readAll(queue.readBody(id)), bodies[i]);
    }
    assert.deepEqual(await queue.count(), sizes.length);
  },
};

async function spoolAndKeep(queue: QueueStore): Promise<string> {
  const spool = queue.createSpool();
  await spool.write(patternBytes(9, 100_000));
  await spool.commit(envelope());
  await spool.abort();
  return spool.id;
}

/** Registers every case as a Deno test on a fresh store. */
export function registerCases(name: string, factory: QueueFactory, cases: Record<string, Case>) {
  for (const [title, run] of Object.entries(cases)) {
    Deno.test(`${name}: ${title}`, async () => {
      const clock = new ManualClock();
      const fixture = await factory({ clock });
      try {
        await run(fixture.queue, clock);
      } finally {
        await fixture.dispose();
      }
    });
  }
}
