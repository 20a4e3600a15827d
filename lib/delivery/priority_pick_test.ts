import assert from "node:assert/strict";
import fc from "fast-check";
import { AGED_SLOT_EVERY, pickDue } from "./priority_pick.ts";

const message = (id: string, nextAttemptAt: number) => ({ id, nextAttemptAt });

Deno.test("pickDue() takes everything when there are enough slots", () => {
  const due = [message("a", 5), message("b", 1)];
  assert.deepEqual(pickDue(due, 5, 0), due);
});

Deno.test("pickDue() gives the urgent messages the slots but every fourth to the oldest", () => {
  const urgent = Array.from({ length: 10 }, (_, i) => message(`u${i}`, 1_000 + i));
  const backlog = Array.from({ length: 10 }, (_, i) => message(`b${i}`, i));
  const due = [...urgent, ...backlog];
  assert.deepEqual(pickDue(due, 8, 0).map((m) => m.id), [
    "u0",
    "u1",
    "u2",
    "b0",
    "u3",
    "u4",
    "u5",
    "b1",
  ]);
  // One slot at a time, the running slot number decides.
  assert.deepEqual(pickDue(due, 1, 2).map((m) => m.id), ["u0"]);
  assert.deepEqual(pickDue(due, 1, 3).map((m) => m.id), ["b0"]);
});

Deno.test("pickDue() never picks a message twice and never more than the free slots", () => {
  fc.assert(fc.property(
    fc.uniqueArray(fc.record({ id: fc.string(), nextAttemptAt: fc.integer() }), {
      selector: (m) => m.id,
      maxLength: 40,
    }),
    fc.integer({ min: 0, max: 50 }),
    fc.nat(1_000),
    (due, free, firstSlot) => {
      const picked = pickDue(due, free, firstSlot);
      assert.equal(picked.length, Math.min(free, due.length));
      assert.equal(new Set(picked.map((m) => m.id)).size, picked.length);
      for (const m of picked) assert.ok(due.includes(m));
    },
  ));
});

Deno.test("pickDue() starves nobody: under a steady urgent stream the backlog gets a quarter of the slots", () => {
  let backlog = Array.from({ length: 100 }, (_, i) => message(`b${i}`, i));
  let slot = 0;
  let backlogServed = 0;
  for (let round = 0; round < 100; round++) {
    const urgent = [message(`u${round}a`, 10_000 + round), message(`u${round}b`, 10_000 + round)];
    const picked = pickDue([...urgent, ...backlog], 1, slot);
    slot += picked.length;
    if (picked[0].id.startsWith("b")) {
      backlogServed++;
      backlog = backlog.filter((m) => m !== picked[0]);
    }
  }
  assert.equal(backlogServed, 100 / AGED_SLOT_EVERY);
});
