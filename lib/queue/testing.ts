/**
 * The queue conformance suite, run against every {@linkcode QueueStore}
 * implementation, plus test helpers (a manual clock, deterministic bodies).
 *
 * @example Run the suite against the memory queue
 * ```ts ignore
 * import { runQueueContract } from "./testing.ts";
 * import { openMemoryQueue } from "./mod.ts";
 *
 * runQueueContract("openMemoryQueue()", (deps) => {
 *   const queue = openMemoryQueue(deps);
 *   return Promise.resolve({ queue, dispose: () => queue.close() });
 * });
 * ```
 *
 * @module
 */
import { QUERY_CASES } from "./_contract_query.ts";
import { registerCases, SPOOL_CASES } from "./_contract_spool.ts";
import { TASK_CASES } from "./_contract_tasks.ts";
import type { QueueFactory } from "./_contract_support.ts";

export { envelope, ManualClock, patternBytes, readAll, spoolMessage } from "./_contract_support.ts";
export type { QueueFactory, QueueFixture } from "./_contract_support.ts";

/**
 * Registers the queue conformance tests (`Deno.test`) for one implementation.
 *
 * @param name Prefix of every test name, for example `"openKvQueue(:memory:)"`.
 * @param factory Opens a fresh, empty store per test and disposes of it after.
 */
export function runQueueContract(name: string, factory: QueueFactory): void {
  registerCases(name, factory, SPOOL_CASES);
  registerCases(name, factory, QUERY_CASES);
  registerCases(name, factory, TASK_CASES);
}
