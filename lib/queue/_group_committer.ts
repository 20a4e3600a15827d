// Group commit: one committer per open KV queue batches the mutation groups of
// concurrent callers into as few atomic commits (and so fsyncs) as the limits allow.
import { addCost, applyOps, BATCH_BUDGET, costOf, fitsBudget } from "./_kv_ops.ts";
import type { KvOp, OpsCost } from "./_kv_ops.ts";
import { SpoolError, toSpoolError } from "./spool_error.ts";
import type { QueueMetrics } from "./types.ts";

interface PendingGroup {
  readonly ops: readonly KvOp[];
  readonly cost: OpsCost;
  readonly settle: PromiseWithResolvers<boolean>;
}

type CommitterPhase =
  | { kind: "idle" }
  | { kind: "draining"; done: Promise<void> }
  | { kind: "closed" };

/**
 * Commits groups of KV operations, each group atomically. While one commit is in
 * flight the next groups accumulate and then go out together in a single atomic
 * commit, within {@linkcode BATCH_BUDGET}. Groups are committed in submission order.
 */
export class GroupCommitter {
  readonly #kv: Deno.Kv;
  readonly #budget: OpsCost;
  #queue: PendingGroup[] = [];
  #phase: CommitterPhase = { kind: "idle" };
  readonly #metrics: QueueMetrics = { atomicCommits: 0, committedGroups: 0 };

  constructor(kv: Deno.Kv, budget: OpsCost = BATCH_BUDGET) {
    this.#kv = kv;
    this.#budget = budget;
  }

  /**
   * Queues a group of operations to be committed atomically.
   *
   * @returns true once committed, false if one of its checks failed.
   * @throws {SpoolError} If the commit fails or the committer is closed.
   */
  submit(ops: readonly KvOp[]): Promise<boolean> {
    if (this.#phase.kind === "closed") {
      return Promise.reject(new SpoolError("Cannot commit: the queue is closed"));
    }
    const settle = Promise.withResolvers<boolean>();
    this.#queue.push({ ops, cost: costOf(ops), settle });
    if (this.#phase.kind === "idle") {
      this.#phase = { kind: "draining", done: this.#drain() };
    }
    return settle.promise;
  }

  /** Counters of atomic commits and committed groups. */
  metrics(): QueueMetrics {
    return { ...this.#metrics };
  }

  /** Waits for queued groups to be committed, then refuses new ones. */
  async close(): Promise<void> {
    while (this.#phase.kind === "draining") await this.#phase.done;
    this.#phase = { kind: "closed" };
  }

  async #drain(): Promise<void> {
    // Let every group submitted in the current task join the first batch.
    await Promise.resolve();
    try {
      while (this.#queue.length > 0) {
        await this.#commitBatch(this.#takeBatch());
      }
    } finally {
      this.#phase = { kind: "idle" };
    }
  }

  #takeBatch(): PendingGroup[] {
    const total: OpsCost = { mutations: 0, checks: 0, mutationBytes: 0, keyBytes: 0 };
    let count = 0;
    for (const group of this.#queue) {
      if (count > 0 && !fitsBudget(total, group.cost, this.#budget)) break;
      addCost(total, group.cost);
      count++;
    }
    return this.#queue.splice(0, count);
  }

  async #commitBatch(batch: PendingGroup[]): Promise<void> {
    let outcome: boolean | undefined;
    let failure: unknown;
    try {
      outcome = await this.#commitOps(batch.flatMap((group) => group.ops), batch.length);
    } catch (error) {
      failure = error;
    }
    if (outcome === true || batch.length === 1) {
      for (const group of batch) settleGroup(group, outcome, failure);
      return;
    }
    // A check failed or the commit threw: retry each group alone so that one bad
    // group cannot fail its neighbours.
    for (const group of batch) {
      try {
        settleGroup(group, await this.#commitOps(group.ops, 1), undefined);
      } catch (error) {
        settleGroup(group, undefined, error);
      }
    }
  }

  async #commitOps(ops: readonly KvOp[], groups: number): Promise<boolean> {
    const atomic = this.#kv.atomic();
    applyOps(atomic, ops);
    const result = await atomic.commit();
    this.#metrics.atomicCommits++;
    if (result.ok) this.#metrics.committedGroups += groups;
    return result.ok;
  }
}

function settleGroup(group: PendingGroup, outcome: boolean | undefined, failure: unknown): void {
  if (outcome === undefined) {
    group.settle.reject(toSpoolError(failure, "Cannot commit to the queue"));
  } else {
    group.settle.resolve(outcome);
  }
}
