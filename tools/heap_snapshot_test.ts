import assert from "node:assert/strict";
import { takeHeapSnapshot } from "./heap_snapshot.ts";

/** Reads stderr until the inspector says where it listens. */
async function inspectorAddress(stderr: ReadableStream<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of stderr) {
    text += decoder.decode(chunk, { stream: true });
    const match = /ws:\/\/([\d.]+:\d+)\//.exec(text);
    if (match !== null) return match[1];
  }
  throw new Error(`The inspector did not start: ${text}`);
}

Deno.test("takeHeapSnapshot() writes a snapshot of a process started with --inspect", async () => {
  const dir = await Deno.makeTempDir({ prefix: "empath-heap-" });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      "--inspect=127.0.0.1:0",
      "globalThis.kept = new Array(1000).fill('x'); setInterval(() => {}, 1000);",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  try {
    // Leaving the loop cancels stderr: the child only writes there at start.
    const address = await inspectorAddress(child.stderr);
    const output = `${dir}/test.heapsnapshot`;
    const bytes = await takeHeapSnapshot(address, output);
    assert.ok(bytes > 100_000, `a real snapshot, not ${bytes} bytes`);
    const snapshot = JSON.parse(await Deno.readTextFile(output));
    assert.ok(Array.isArray(snapshot.nodes) && snapshot.snapshot.node_count > 0);
    assert.equal((await Deno.stat(output)).mode! & 0o777, 0o600, "a heap holds mail: 0600");
  } finally {
    child.kill("SIGKILL");
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
});
