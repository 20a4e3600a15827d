import assert from "node:assert/strict";
import { GroupCommitter } from "./_group_committer.ts";
import { checkOp, setOp } from "./_kv_ops.ts";
import { SpoolError } from "./spool_error.ts";

Deno.test("GroupCommitter commits groups submitted together in one atomic commit", async () => {
  using kv = await Deno.openKv(":memory:");
  const committer = new GroupCommitter(kv);
  const results = await Promise.all(
    Array.from({ length: 50 }, (_, i) => committer.submit([setOp(["k", i], i)])),
  );
  assert.deepEqual(results, Array(50).fill(true));
  assert.deepEqual(committer.metrics(), { atomicCommits: 1, committedGroups: 50 });
  assert.equal((await kv.get(["k", 49])).value, 49);
  await committer.close();
});

Deno.test("GroupCommitter splits batches at the mutation and byte budgets", async () => {
  using kv = await Deno.openKv(":memory:");
  const committer = new GroupCommitter(kv);
  // 30 groups of one 60,000-byte chunk: at most 11 fit in the 700,000-byte budget.
  const chunks = Array.from(
    { length: 30 },
    (_, i) => committer.submit([setOp(["c", i], new Uint8Array(60_000))]),
  );
  // 3 groups of 400 mutations: at most 2 fit in the 900-mutation budget.
  const wide = Array.from(
    { length: 3 },
    (_, g) => committer.submit(Array.from({ length: 400 }, (_, i) => setOp(["w", g, i], i))),
  );
  assert.ok((await Promise.all([...chunks, ...wide])).every((ok) => ok));
  const { atomicCommits, committedGroups } = committer.metrics();
  assert.equal(committedGroups, 33);
  assert.ok(atomicCommits >= 4 && atomicCommits <= 6, `atomicCommits ${atomicCommits}`);
  await committer.close();
});

Deno.test("GroupCommitter fails only the bad group of a batch", async () => {
  using kv = await Deno.openKv(":memory:");
  const committer = new GroupCommitter(kv);
  await kv.set(["taken"], "x");
  const good = [0, 1, 2].map((i) => committer.submit([setOp(["good", i], i)]));
  const tooLarge = committer.submit([setOp(["bad"], new Uint8Array(70_000))]);
  const lostCheck = committer.submit([checkOp(["taken"], null), setOp(["taken"], "y")]);
  const more = committer.submit([setOp(["good", 3], 3)]);
  await assert.rejects(tooLarge, (error: unknown) => {
    assert.ok(error instanceof SpoolError);
    assert.match(error.message, /Value too large/);
    return true;
  });
  assert.equal(await lostCheck, false);
  assert.deepEqual(await Promise.all([...good, more]), [true, true, true, true]);
  const stored = await kv.getMany([["good", 0], ["good", 3], ["bad"], ["taken"]]);
  assert.deepEqual(stored.map((entry) => entry.value), [0, 3, null, "x"]);
  await committer.close();
});

Deno.test("GroupCommitter batches groups that arrive while a commit is in flight", async () => {
  using kv = await Deno.openKv(":memory:");
  const committer = new GroupCommitter(kv);
  const first = committer.submit([setOp(["a"], 1)]);
  await Promise.resolve();
  await Promise.resolve(); // the first commit is now in flight
  const later = Array.from({ length: 10 }, (_, i) => committer.submit([setOp(["b", i], i)]));
  await Promise.all([first, ...later]);
  assert.deepEqual(committer.metrics(), { atomicCommits: 2, committedGroups: 11 });
  await committer.close();
});

Deno.test("GroupCommitter.close() waits for queued groups, then refuses new ones", async () => {
  using kv = await Deno.openKv(":memory:");
  const committer = new GroupCommitter(kv);
  const pending = committer.submit([setOp(["late"], 1)]);
  await committer.close();
  assert.equal(await pending, true);
  await assert.rejects(committer.submit([setOp(["x"], 1)]), SpoolError);
  assert.equal((await kv.get(["late"])).value, 1);
});
