// The Deno KV implementation of QueueStore.
import { dirname } from "node:path";
import { GroupCommitter } from "./_group_committer.ts";
import { COUNT_KEY, taskKey, taskRange } from "./_kv_keys.ts";
import { deleteOp, setOp } from "./_kv_ops.ts";
import { buildTasks, retriedTask } from "./_task.ts";
import {
  collectKvStats,
  dueKvMessages,
  kvBodyStream,
  listKvMessages,
  nextKvDueAt,
  readMessage,
} from "./_kv_reads.ts";
import { KvSpoolSink } from "./_kv_spool_sink.ts";
import { deleteKvMessage, removeKvOrphans, updateKvMessage } from "./_kv_writes.ts";
import { OpenSpools } from "./_open_spools.ts";
import { toSpoolError } from "./spool_error.ts";
import { kvTlsReportBackend, tlsReportStore } from "./_tls_report_store.ts";
import type {
  ListFilter,
  ListPage,
  ListResult,
  QueueDeps,
  QueuedMessage,
  QueueMetrics,
  QueueOptions,
  QueueStats,
  QueueStore,
  QueueTask,
  SpoolWriter,
  TaskInit,
} from "./types.ts";
import type { TlsReportStore } from "./tls_report_types.ts";

type StorePhase = { kind: "open" } | { kind: "closing"; done: Promise<void> };

/**
 * Opens (creating if needed) the durable queue in a Deno KV file.
 *
 * Concurrent spool commits share atomic commits (group commit), so throughput
 * grows with the number of sessions while each commit stays fsynced.
 *
 * @param path KV file path (its directory is created) or `":memory:"`.
 * @param deps The clock and optional randomness.
 * @param options Message lifetime.
 * @returns The open store; close it (or `await using`) to flush and release the file.
 * @throws {SpoolError} If the file cannot be opened.
 *
 * @example Spool and read back a message
 * ```ts
 * import { openKvQueue } from "./kv_queue.ts";
 *
 * await using queue = await openKvQueue(":memory:", { clock: { now: () => Date.now() } });
 * const spool = queue.createSpool();
 * await spool.write(new TextEncoder().encode("Subject: hi\r\n\r\nhello\r\n"));
 * const message = await spool.commit({
 *   reversePath: "a@example.test",
 *   recipients: ["b@example.org"],
 *   receivedFrom: { ip: "192.0.2.1", helo: "client.example.test" },
 * });
 * console.assert((await queue.get(message.id))?.size === message.size);
 * ```
 */
export async function openKvQueue(
  path: string,
  deps: QueueDeps,
  options: QueueOptions = {},
): Promise<QueueStore> {
  try {
    if (path !== ":memory:") await Deno.mkdir(dirname(path), { recursive: true });
    const kv = await Deno.openKv(path);
    return new KvQueueStore(kv, deps, options);
  } catch (error) {
    throw toSpoolError(error, `Cannot open queue "${path}"`);
  }
}

class KvQueueStore implements QueueStore {
  readonly #kv: Deno.Kv;
  readonly #committer: GroupCommitter;
  readonly #deps: QueueDeps;
  readonly #spools: OpenSpools;
  #phase: StorePhase = { kind: "open" };
  readonly tlsReports: TlsReportStore;

  constructor(kv: Deno.Kv, deps: QueueDeps, options: QueueOptions) {
    this.#kv = kv;
    this.#committer = new GroupCommitter(kv);
    this.#deps = deps;
    this.#spools = new OpenSpools(deps, options);
    this.tlsReports = tlsReportStore(kvTlsReportBackend(kv, this.#committer));
  }

  createSpool(): SpoolWriter {
    return this.#spools.open(new KvSpoolSink(this.#committer, this.#deps.clock, this.#kv));
  }

  get(id: string): Promise<QueuedMessage | undefined> {
    return readMessage(this.#kv, id);
  }

  readBody(id: string): ReadableStream<Uint8Array> {
    return kvBodyStream(this.#kv, id);
  }

  list(filter: ListFilter = {}, page?: ListPage): Promise<ListResult> {
    return listKvMessages(this.#kv, { filter, page, now: this.#deps.clock.now() });
  }

  delete(id: string): Promise<boolean> {
    return deleteKvMessage({ kv: this.#kv, committer: this.#committer }, id);
  }

  async count(): Promise<number> {
    const entry = await this.#kv.get<Deno.KvU64>(COUNT_KEY);
    return entry.value === null ? 0 : Number(BigInt.asIntN(64, entry.value.value));
  }

  stats(): Promise<QueueStats> {
    return collectKvStats(this.#kv);
  }

  due(now: number, limit: number): Promise<QueuedMessage[]> {
    return dueKvMessages(this.#kv, now, limit);
  }

  nextDueAt(): Promise<number | undefined> {
    return nextKvDueAt(this.#kv);
  }

  update(message: QueuedMessage): Promise<boolean> {
    return updateKvMessage({ kv: this.#kv, committer: this.#committer }, message);
  }

  cleanupOrphans(): Promise<number> {
    const target = { kv: this.#kv, committer: this.#committer };
    return removeKvOrphans(target, this.#spools.ids);
  }

  async addTasks(inits: readonly TaskInit[]): Promise<QueueTask[]> {
    const tasks = buildTasks(inits, this.#deps);
    if (tasks.length > 0) {
      await this.#committer.submit(tasks.map((task) => setOp(taskKey(task), task)));
    }
    return tasks;
  }

  async dueTasks(now: number, limit: number): Promise<QueueTask[]> {
    if (limit <= 0) return [];
    const tasks: QueueTask[] = [];
    for await (const entry of this.#kv.list<QueueTask>(taskRange(now), { limit })) {
      tasks.push(entry.value);
    }
    return tasks;
  }

  async settleTask(task: QueueTask, retryAt?: number): Promise<void> {
    const ops = [deleteOp(taskKey(task))];
    if (retryAt !== undefined) {
      const next = retriedTask(task, retryAt);
      ops.push(setOp(taskKey(next), next));
    }
    await this.#committer.submit(ops);
  }

  metrics(): QueueMetrics {
    return this.#committer.metrics();
  }

  close(): Promise<void> {
    if (this.#phase.kind === "closing") return this.#phase.done;
    const done = (async () => {
      await this.#committer.close();
      this.#kv.close();
    })();
    this.#phase = { kind: "closing", done };
    return done;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
