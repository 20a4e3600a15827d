// The in-memory implementation of QueueStore, for tests and embedders without a disk.
import { addToStats, emptyStats, PageCollector, pageLimit } from "./_query.ts";
import { prepareUpdate } from "./_record.ts";
import { priorityBand } from "./priority.ts";
import { OpenSpools } from "./_open_spools.ts";
import { buildTasks, compareTasks, retriedTask } from "./_task.ts";
import type { SpoolSink } from "./_spool_writer.ts";
import { SpoolError } from "./spool_error.ts";
import { memoryTlsReportBackend, tlsReportStore } from "./_tls_report_store.ts";
import type { TlsReportStore } from "./tls_report_types.ts";
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

interface StoredMessage {
  message: QueuedMessage;
  body: Uint8Array[];
}

/** Everything the memory queue holds, shared by the store and its spool sink. */
interface MemoryState {
  readonly messages: Map<string, StoredMessage>;
  readonly spooling: Map<string, Uint8Array[]>;
  readonly tasks: Map<string, QueueTask>;
  readonly metrics: QueueMetrics;
  phase: "open" | "closed";
}

/**
 * Creates an in-memory queue with the same behaviour as {@linkcode openKvQueue}
 * (minus durability): for tests and for embedders that bring their own storage.
 *
 * @param deps The clock and optional randomness.
 * @param options Message lifetime.
 *
 * @example
 * ```ts
 * import { openMemoryQueue } from "./memory_queue.ts";
 *
 * await using queue = openMemoryQueue({ clock: { now: () => 1_700_000_000_000 } });
 * const spool = queue.createSpool();
 * await spool.write(new Uint8Array([104, 105]));
 * await spool.commit({ reversePath: "", recipients: ["b@example.org"], receivedFrom: { ip: "::1", helo: "x" } });
 * console.assert(await queue.count() === 1);
 * ```
 */
export function openMemoryQueue(deps: QueueDeps, options: QueueOptions = {}): QueueStore {
  return new MemoryQueueStore(deps, options);
}

class MemoryQueueStore implements QueueStore {
  readonly #state: MemoryState = {
    messages: new Map(),
    spooling: new Map(),
    tasks: new Map(),
    metrics: { atomicCommits: 0, committedGroups: 0 },
    phase: "open",
  };
  readonly #deps: QueueDeps;
  readonly #spools: OpenSpools;
  readonly tlsReports: TlsReportStore = tlsReportStore(memoryTlsReportBackend());

  constructor(deps: QueueDeps, options: QueueOptions) {
    this.#deps = deps;
    this.#spools = new OpenSpools(deps, options);
  }

  createSpool(): SpoolWriter {
    return this.#spools.open(new MemorySpoolSink(this.#state));
  }

  get(id: string): Promise<QueuedMessage | undefined> {
    const stored = this.#state.messages.get(id);
    return Promise.resolve(stored ? structuredClone(stored.message) : undefined);
  }

  readBody(id: string): ReadableStream<Uint8Array> {
    let chunks: Uint8Array[] | undefined;
    return new ReadableStream<Uint8Array>({
      pull: (controller) => {
        if (chunks === undefined) {
          const stored = this.#state.messages.get(id);
          if (!stored) throw new SpoolError(`Cannot read message "${id}": not found`);
          const prefix = stored.message.headerPrefix;
          chunks = prefix
            ? [new TextEncoder().encode(prefix), ...stored.body]
            : stored.body.slice();
        }
        const next = chunks.shift();
        if (next) controller.enqueue(next.slice());
        else controller.close();
      },
    }, { highWaterMark: 0 });
  }

  list(filter: ListFilter = {}, page?: ListPage): Promise<ListResult> {
    const collector = new PageCollector(filter, this.#deps.clock.now(), pageLimit(page));
    const ids = [...this.#state.messages.keys()].sort();
    for (const id of ids) {
      if (page?.cursor !== undefined && id <= page.cursor) continue;
      if (!collector.offer(structuredClone(this.#state.messages.get(id)!.message))) break;
    }
    return Promise.resolve(collector.result());
  }

  delete(id: string): Promise<boolean> {
    this.#countCommit();
    return Promise.resolve(this.#state.messages.delete(id));
  }

  count(): Promise<number> {
    return Promise.resolve(this.#state.messages.size);
  }

  stats(): Promise<QueueStats> {
    const stats = emptyStats();
    for (const { message } of this.#state.messages.values()) addToStats(stats, message);
    return Promise.resolve(stats);
  }

  due(now: number, limit: number): Promise<QueuedMessage[]> {
    const perBand = new Map<number, number>();
    const due = this.#queued()
      .filter((message) => message.nextAttemptAt <= now)
      .sort((a, b) =>
        priorityBand(a.priority) - priorityBand(b.priority) ||
        a.nextAttemptAt - b.nextAttemptAt || (a.id < b.id ? -1 : 1)
      )
      .filter((message) => {
        const band = priorityBand(message.priority);
        const taken = perBand.get(band) ?? 0;
        perBand.set(band, taken + 1);
        return taken < limit;
      });
    return Promise.resolve(structuredClone(due));
  }

  nextDueAt(): Promise<number | undefined> {
    const times = this.#queued().map((message) => message.nextAttemptAt);
    return Promise.resolve(times.length === 0 ? undefined : Math.min(...times));
  }

  #queued(): QueuedMessage[] {
    return [...this.#state.messages.values()]
      .map((stored) => stored.message)
      .filter((message) => message.state === "queued");
  }

  update(message: QueuedMessage): Promise<boolean> {
    try {
      const stored = this.#state.messages.get(message.id);
      if (!stored || stored.message.revision !== message.revision) return Promise.resolve(false);
      stored.message = prepareUpdate(message);
      this.#countCommit();
      return Promise.resolve(true);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  cleanupOrphans(): Promise<number> {
    let removed = 0;
    for (const id of this.#state.spooling.keys()) {
      if (this.#spools.ids.has(id)) continue;
      this.#state.spooling.delete(id);
      removed++;
    }
    return Promise.resolve(removed);
  }

  addTasks(inits: readonly TaskInit[]): Promise<QueueTask[]> {
    try {
      const tasks = buildTasks(inits, this.#deps);
      for (const task of tasks) this.#state.tasks.set(task.id, structuredClone(task));
      if (tasks.length > 0) this.#countCommit();
      return Promise.resolve(tasks);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  dueTasks(now: number, limit: number): Promise<QueueTask[]> {
    const due = [...this.#state.tasks.values()].filter((task) => task.runAt <= now)
      .sort(compareTasks).slice(0, Math.max(0, limit));
    return Promise.resolve(structuredClone(due));
  }

  settleTask(task: QueueTask, retryAt?: number): Promise<void> {
    this.#state.tasks.delete(task.id);
    if (retryAt !== undefined) this.#state.tasks.set(task.id, retriedTask(task, retryAt));
    this.#countCommit();
    return Promise.resolve();
  }

  metrics(): QueueMetrics {
    return { ...this.#state.metrics };
  }

  close(): Promise<void> {
    this.#state.phase = "closed";
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #countCommit(): void {
    this.#state.metrics.atomicCommits++;
    this.#state.metrics.committedGroups++;
  }
}

/** Keeps spooled chunks in a map until the message commits. */
class MemorySpoolSink implements SpoolSink {
  readonly #state: MemoryState;

  constructor(state: MemoryState) {
    this.#state = state;
  }

  writeChunks(id: string, index: number, chunks: Uint8Array[]): Promise<void> {
    return this.#apply(() => {
      const stored = this.#state.spooling.get(id) ?? [];
      chunks.forEach((chunk, i) => stored[index + i] = chunk);
      this.#state.spooling.set(id, stored);
    });
  }

  commitMessage(
    message: QueuedMessage,
    lastChunks: Uint8Array[],
    _writtenChunks: number,
    tasks: readonly QueueTask[],
  ): Promise<void> {
    return this.#apply(() => {
      const body = this.#state.spooling.get(message.id) ?? [];
      body.push(...lastChunks);
      this.#state.spooling.delete(message.id);
      this.#state.messages.set(message.id, { message: structuredClone(message), body });
      for (const task of tasks) this.#state.tasks.set(task.id, structuredClone(task));
    });
  }

  readChunk(id: string, index: number): Promise<Uint8Array> {
    const chunk = this.#state.spooling.get(id)?.[index];
    if (chunk === undefined) {
      return Promise.reject(new SpoolError(`Cannot read spool "${id}": chunk ${index} is missing`));
    }
    return Promise.resolve(chunk.slice());
  }

  discard(id: string): Promise<void> {
    return this.#apply(() => this.#state.spooling.delete(id));
  }

  async #apply(change: () => void): Promise<void> {
    await Promise.resolve();
    if (this.#state.phase === "closed") {
      throw new SpoolError("Cannot commit: the queue is closed");
    }
    change();
    this.#state.metrics.atomicCommits++;
    this.#state.metrics.committedGroups++;
  }
}
