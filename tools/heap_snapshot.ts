/**
 * Takes a V8 heap snapshot of a running Empath started with `--inspect`, over the
 * Chrome DevTools protocol, and writes it to a file that Chrome DevTools (Memory tab,
 * "Load") opens. For servers without a browser; see docs/PROFILING.md.
 *
 * Usage: `deno run --allow-net=127.0.0.1 --allow-write=. tools/heap_snapshot.ts
 * [--inspector 127.0.0.1:9229] [--output empath.heapsnapshot]`
 *
 * @module
 */

interface InspectorTarget {
  readonly webSocketDebuggerUrl: string;
}

function option(args: string[], name: string, fallback: string): string {
  const index = args.indexOf(name);
  return index >= 0 && args[index + 1] !== undefined ? args[index + 1] : fallback;
}

/**
 * Connects to the inspector at `inspector`, takes one heap snapshot and writes it to `output`.
 *
 * @param inspector `host:port` of the inspector (`deno run --inspect=host:port`).
 * @param output The file to write.
 * @param timeoutMs How long the whole snapshot may take.
 * @returns The number of bytes written.
 * @throws {Error} If the inspector cannot be reached, closes the connection, or is too slow.
 */
export async function takeHeapSnapshot(
  inspector: string,
  output: string,
  timeoutMs = 120_000,
): Promise<number> {
  const targets: InspectorTarget[] = await (await fetch(`http://${inspector}/json/list`)).json();
  if (targets.length === 0) throw new Error(`No inspector target at ${inspector}`);
  const file = await Deno.open(output, { write: true, create: true, truncate: true, mode: 0o600 });
  // Handlers are attached below without an await in between: "open" must not fire unheard.
  const socket = new WebSocket(targets[0].webSocketDebuggerUrl);
  const encoder = new TextEncoder();
  let written = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`No heap snapshot from ${inspector} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      socket.onerror = () => reject(new Error(`Cannot talk to the inspector at ${inspector}`));
      socket.onclose = () =>
        reject(new Error(`The inspector at ${inspector} closed the connection`));
      socket.onopen = () => {
        socket.send(JSON.stringify({ id: 1, method: "HeapProfiler.enable" }));
        socket.send(JSON.stringify({ id: 2, method: "HeapProfiler.takeHeapSnapshot" }));
      };
      socket.onmessage = (event) => {
        const message = JSON.parse(event.data);
        if (message.method === "HeapProfiler.addHeapSnapshotChunk") {
          const bytes = encoder.encode(message.params.chunk);
          file.writeSync(bytes);
          written += bytes.length;
        } else if (message.id === 2) {
          if (message.error) reject(new Error(message.error.message));
          else resolve();
        }
      };
    });
  } finally {
    clearTimeout(timer);
    file.close();
    socket.close();
  }
  return written;
}

if (import.meta.main) {
  const inspector = option(Deno.args, "--inspector", "127.0.0.1:9229");
  const output = option(Deno.args, "--output", `empath-${Date.now()}.heapsnapshot`);
  const bytes = await takeHeapSnapshot(inspector, output);
  console.log(`Wrote ${output} (${(bytes / 1e6).toFixed(1)} MB)`);
}
