// Conformance cases for queries and record updates: list, delete, count, stats, due, update.
import assert from "node:assert/strict";
import { envelope, patternBytes, readAll, spoolMessage } from "./_contract_support.ts";
import type { ManualClock } from "./_contract_support.ts";
import { SpoolError } from "./spool_error.ts";
import type { QueuedMessage, QueueStore } from "./types.ts";

type Case = (queue: QueueStore, clock: ManualClock) => Promise<void>;

const MINUTE = 60_000;

/** Five messages one minute apart; the third is held. */
async function seedQueue(queue: QueueStore, clock: ManualClock): Promise<string[]> {
  const envelopes = [
    envelope({ reversePath: "alice@example.test", recipients: ["x@example.org"] }),
    envelope({ reversePath: "bob@example.test", recipients: ["y@Example.NET", "x@example.org"] }),
    envelope({ reversePath: "", recipients: ["z@example.net"] }),
    envelope({ reversePath: "Alice@Example.test", recipients: ["w@example.com"] }),
    envelope({ reversePath: "carol@example.test", recipients: ["X@example.org"] }),
  ];
  const ids: string[] = [];
  for (const [i, init] of envelopes.entries()) {
    ids.push(await spoolMessage(queue, patternBytes(i, 100 * (i + 1)), { envelope: init }));
    clock.advance(MINUTE);
  }
  const held = await queue.get(ids[2]);
  assert.ok(await queue.update({ ...held!, state: "held" }));
  return ids;
}

async function listIds(queue: QueueStore, filter = {}): Promise<string[]> {
  return (await queue.list(filter)).messages.map((message) => message.id);
}

/** Query cases, by test name. */
export const QUERY_CASES: Record<string, Case> = {
  "list() filters by state, domain, sender, recipient and age": async (queue, clock) => {
    const ids = await seedQueue(queue, clock);
    assert.deepEqual(await listIds(queue), ids);
    assert.deepEqual(await listIds(queue, { state: "held" }), [ids[2]]);
    assert.deepEqual(await listIds(queue, { state: "queued" }), [ids[0], ids[1], ids[3], ids[4]]);
    assert.deepEqual(await listIds(queue, { domain: "EXAMPLE.net" }), [ids[1], ids[2]]);
    assert.deepEqual(await listIds(queue, { sender: "alice@example.test" }), [ids[0], ids[3]]);
    assert.deepEqual(await listIds(queue, { sender: "" }), [ids[2]]);
    assert.deepEqual(await listIds(queue, { recipient: "x@EXAMPLE.org" }), [
      ids[0],
      ids[1],
      ids[4],
    ]);
    // The clock is now 5 minutes after the first message.
    assert.deepEqual(await listIds(queue, { olderThan: 3 * MINUTE }), [ids[0], ids[1], ids[2]]);
    assert.deepEqual(await listIds(queue, { domain: "example.org", olderThan: 4 * MINUTE }), [
      ids[0],
      ids[1],
    ]);
    assert.deepEqual(await listIds(queue, { domain: "nowhere.example" }), []);
  },

  "list() pages with a cursor until all messages are seen": async (queue, clock) => {
    const ids = await seedQueue(queue, clock);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await queue.list({}, { cursor, limit: 2 });
      assert.ok(page.messages.length <= 2);
      seen.push(...page.messages.map((message) => message.id));
      cursor = page.cursor;
      pages++;
    } while (cursor !== undefined);
    assert.deepEqual(seen, ids);
    assert.equal(pages, 3);
    const filtered = await queue.list({ recipient: "x@example.org" }, { limit: 2 });
    assert.deepEqual(filtered.messages.map((message) => message.id), [ids[0], ids[1]]);
    const rest = await queue.list({ recipient: "x@example.org" }, { cursor: filtered.cursor });
    assert.deepEqual(rest.messages.map((message) => message.id), [ids[4]]);
    assert.equal(rest.cursor, undefined);
  },

  "delete() removes the record and body and updates the count": async (queue, clock) => {
    const ids = await seedQueue(queue, clock);
    const big = await spoolMessage(queue, patternBytes(50, 200_000));
    assert.equal(await queue.count(), 6);
    assert.equal(await queue.delete(big), true);
    assert.equal(await queue.delete(ids[2]), true);
    assert.equal(await queue.delete(ids[2]), false);
    assert.equal(await queue.count(), 4);
    assert.equal(await queue.get(big), undefined);
    await assert.rejects(() => readAll(queue.readBody(big)), SpoolError);
    assert.deepEqual(await listIds(queue), [ids[0], ids[1], ids[3], ids[4]]);
    assert.deepEqual((await queue.due(clock.now(), 10)).map((message) => message.id), [
      ids[0],
      ids[1],
      ids[3],
      ids[4],
    ]);
  },

  "stats() aggregates states, domains, bytes and the oldest message": async (queue, clock) => {
    const start = clock.now();
    await seedQueue(queue, clock);
    assert.deepEqual(await queue.stats(), {
      total: 5,
      byState: { queued: 4, held: 1 },
      byDomain: { "example.org": 3, "example.net": 2, "example.com": 1 },
      oldestCreatedAt: start,
      bytes: 100 + 200 + 300 + 400 + 500,
    });
  },

  "stats() of an empty queue is all zero": async (queue) => {
    assert.deepEqual(await queue.stats(), { total: 0, byState: {}, byDomain: {}, bytes: 0 });
    assert.equal(await queue.count(), 0);
  },

  "due() returns queued messages due by now, earliest first": async (queue, clock) => {
    const ids = await seedQueue(queue, clock);
    const now = clock.now();
    const schedule = [now + 30 * MINUTE, now - MINUTE, 0, now + MINUTE, now - 2 * MINUTE];
    for (const [i, id] of ids.entries()) {
      if (i === 2) continue; // held
      const message = await queue.get(id);
      assert.ok(await queue.update({ ...message!, nextAttemptAt: schedule[i] }));
    }
    const ids0 = (messages: QueuedMessage[]) => messages.map((message) => message.id);
    assert.deepEqual(ids0(await queue.due(now, 10)), [ids[4], ids[1]]);
    assert.deepEqual(ids0(await queue.due(now, 1)), [ids[4]]);
    assert.deepEqual(ids0(await queue.due(now + MINUTE, 10)), [ids[4], ids[1], ids[3]]);
    assert.deepEqual(ids0(await queue.due(now + 60 * MINUTE, 10)), [
      ids[4],
      ids[1],
      ids[3],
      ids[0],
    ]);
    assert.deepEqual(await queue.due(now, 0), []);
  },

  "due() serves higher priorities first, up to limit per priority; nextDueAt() sees every band":
    async (queue, clock) => {
      const now = clock.now();
      const spool = async (priority: number | undefined, at: number) => {
        const id = await spoolMessage(queue, patternBytes(1, 10), {
          envelope: envelope(priority === undefined ? {} : { priority }),
        });
        const message = (await queue.get(id))!;
        assert.ok(await queue.update({ ...message, nextAttemptAt: at }));
        return id;
      };
      const lowOld = await spool(1, now - 3 * MINUTE);
      const normal = await spool(undefined, now - 2 * MINUTE);
      const urgentA = await spool(9, now - MINUTE);
      const urgentB = await spool(9, now);
      const urgentLater = await spool(9, now + MINUTE);
      const clamped = await spool(42, now - 10 * MINUTE);
      const lowest = await spool(-3, now + 5 * MINUTE);
      assert.equal((await queue.get(normal))?.priority, 5);
      assert.equal((await queue.get(clamped))?.priority, 9);
      assert.equal((await queue.get(lowest))?.priority, 0);
      const ids = (messages: QueuedMessage[]) => messages.map((message) => message.id);
      assert.deepEqual(ids(await queue.due(now, 10)), [clamped, urgentA, urgentB, normal, lowOld]);
      assert.deepEqual(ids(await queue.due(now, 1)), [clamped, normal, lowOld]);
      assert.deepEqual(ids(await queue.due(now + MINUTE, 10)).slice(0, 4), [
        clamped,
        urgentA,
        urgentB,
        urgentLater,
      ]);
      assert.equal(await queue.nextDueAt(), now - 10 * MINUTE);
      await queue.delete(clamped);
      await queue.delete(lowOld);
      assert.equal(await queue.nextDueAt(), now - 2 * MINUTE);
      // A priority change moves the due entry to the other band.
      const message = (await queue.get(lowest))!;
      assert.ok(await queue.update({ ...message, priority: 9, nextAttemptAt: now - 30_000 }));
      assert.deepEqual(ids(await queue.due(now, 10)), [urgentA, lowest, urgentB, normal]);
    },

  "nextDueAt() of an empty queue is undefined": async (queue) => {
    assert.equal(await queue.nextDueAt(), undefined);
  },

  "update() releases a held message back into the due index": async (queue, clock) => {
    const ids = await seedQueue(queue, clock);
    assert.equal((await queue.due(clock.now(), 10)).length, 4);
    const held = await queue.get(ids[2]);
    assert.equal(held?.state, "held");
    assert.ok(await queue.update({ ...held!, state: "queued", nextAttemptAt: 1 }));
    assert.equal((await queue.due(clock.now(), 10))[0].id, ids[2]);
  },

  "update() checks the revision and stores recipient states": async (queue) => {
    const id = await spoolMessage(queue, patternBytes(60, 10));
    const first = (await queue.get(id))!;
    first.recipients[0] = {
      ...first.recipients[0],
      status: "deferred",
      attempts: 1,
      lastReply: { code: 451, enhanced: "4.7.1", text: "y".repeat(1000), at: 5 },
      nextAttemptAt: 99,
    };
    first.attempts = 1;
    assert.equal(await queue.update(first), true);
    assert.equal(await queue.update(first), false, "stale revision must be refused");
    const second = (await queue.get(id))!;
    assert.equal(second.revision, 1);
    assert.equal(second.attempts, 1);
    assert.equal(second.recipients[0].status, "deferred");
    assert.equal(second.recipients[0].lastReply?.text, "y".repeat(200));
    assert.equal(second.recipients[0].nextAttemptAt, 99);
    assert.equal(await queue.update({ ...second, id: "01JDG7ZQ1M6V4P3X8R2N5K7W9A" }), false);
  },

  "a new record has no delayWarnedAt, and update() keeps one once set": async (queue) => {
    const id = await spoolMessage(queue, patternBytes(62, 10));
    const fresh = (await queue.get(id))!;
    assert.equal("delayWarnedAt" in fresh, false, "records start (and old ones load) without it");
    assert.ok(await queue.update({ ...fresh, delayWarnedAt: 1234 }));
    const warned = (await queue.get(id))!;
    assert.equal(warned.delayWarnedAt, 1234);
    assert.ok(await queue.update({ ...warned, attempts: 2 }));
    assert.equal((await queue.get(id))?.delayWarnedAt, 1234);
  },

  "update() rejects a record over the size limit with SpoolError": async (queue) => {
    const id = await spoolMessage(queue, patternBytes(61, 10));
    const message = (await queue.get(id))!;
    message.traceContext = { big: "z".repeat(70_000) };
    await assert.rejects(() => queue.update(message), SpoolError);
    assert.equal((await queue.get(id))?.revision, 0);
  },
};
