import { openMemoryQueue } from "./memory_queue.ts";
import { runQueueContract } from "./testing.ts";

runQueueContract("openMemoryQueue()", (deps) => {
  const queue = openMemoryQueue(deps);
  return Promise.resolve({ queue, dispose: () => queue.close() });
});
