import assert from "node:assert/strict";
import { join } from "node:path";
import { openKvQueue } from "./kv_queue.ts";
import { readAll } from "./testing.ts";
import { bodyForId } from "./testdata/crash_body.ts";

const SCRIPT = new URL("./testdata/spool_loop.ts", import.meta.url).pathname;

/** Starts the writer, kills it with SIGKILL at a random moment, returns the printed ids. */
async function runAndKill(path: string, minIds: number, extraMs: number): Promise<string[]> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--unstable-kv", "-A", SCRIPT, path],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const ids: string[] = [];
  let pending = "";
  let killed = false;
  const decoder = new TextDecoder();
  for await (const bytes of child.stdout) {
    pending += decoder.decode(bytes, { stream: true });
    const lines = pending.split("\n");
    pending = lines.pop()!;
    ids.push(...lines);
    if (!killed && ids.length >= minIds) {
      killed = true;
      setTimeout(() => child.kill("SIGKILL"), extraMs);
    }
  }
  const status = await child.status;
  assert.equal(status.signal, "SIGKILL", `writer exited early: ${await stderr}`);
  await stderr;
  return ids;
}

/** Asserts that no chunk or marker outlives its message and that the count is exact. */
async function assertNoOrphans(path: string): Promise<number> {
  using kv = await Deno.openKv(path);
  const messages = new Set<string>();
  for await (const entry of kv.list({ prefix: ["msg"] })) messages.add(entry.key[1] as string);
  for await (const entry of kv.list({ prefix: ["body"] })) {
    assert.ok(messages.has(entry.key[1] as string), `orphan chunk ${String(entry.key)}`);
  }
  for await (const entry of kv.list({ prefix: ["spool"] })) {
    assert.fail(`marker left behind: ${String(entry.key)}`);
  }
  for await (const entry of kv.list({ prefix: ["due"] })) {
    assert.ok(messages.has(entry.key[3] as string), `stale due entry ${String(entry.key)}`);
  }
  return messages.size;
}

Deno.test("openKvQueue() keeps every acknowledged message across a SIGKILL", async () => {
  const dir = await Deno.makeTempDir({ prefix: "empath_queue_crash_" });
  try {
    const path = join(dir, "queue.kv");
    const acknowledged: string[] = [];
    for (let round = 0; round < 2; round++) {
      const extraMs = Math.floor(Math.random() * 300);
      acknowledged.push(...await runAndKill(path, 20 + round * 10, extraMs));
      await using queue = await openKvQueue(path, { clock: { now: () => Date.now() } });
      const orphans = await queue.cleanupOrphans();
      for (const id of acknowledged) {
        const message = await queue.get(id);
        assert.ok(message, `acknowledged message ${id} is missing (round ${round})`);
        const body = await readAll(queue.readBody(id));
        assert.deepEqual(body, bodyForId(id), `body of ${id} differs`);
      }
      const stored = await queue.count();
      await queue.close();
      assert.equal(await assertNoOrphans(path), stored, "count() disagrees with the records");
      assert.ok(stored >= acknowledged.length);
      console.log(
        `round ${round}: ${acknowledged.length} acknowledged, ${orphans} orphans removed`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
