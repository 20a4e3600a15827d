import assert from "node:assert/strict";
import { takeHeapSnapshot } from "./heap_snapshot.ts";

/**
 * Reads stderr until the inspector says where it listens, and keeps draining it: the child
 * writes there again when a debugger connects, and must not meet a closed pipe.
 */
function inspectorAddress(stderr: ReadableStream<Uint8Array>): Promise<string> {
  return new Promise((resolve, reject) => {
    const decoder = new TextDecoder();
    let text = "";
    (async () => {
      for await (const chunk of stderr) {
        text += decoder.decode(chunk, { stream: true });
        const match = /ws:\/\/([\d.]+:\d+)\//.exec(text);
        if (match !== null) resolve(match[1]);
      }
      reject(new Error(`The inspector did not start: ${text}`));
    })().catch(reject);
  });
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
    const address = await inspectorAddress(child.stderr);
    const output = `${dir}/test.heapsnapshot`;
    const bytes = await takeHeapSnapshot(address, output, 60_000);
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
