import { getLogger } from "../observe/mod.ts";
import type { QueuedMessage, QueueStore, QueueTask, TaskInit } from "../queue/mod.ts";
import { HookCancelledError } from "./_budget.ts";
import { deepFreeze } from "./context.ts";
import { type HookSet, type InputOf, logFailure } from "./hook_set.ts";
import type { AfterQueuePhase, DeliveryResultView } from "./types.ts";

const logger = getLogger(["empath", "hooks"]);

/** The `kind` of the queue tasks that hold after-queue hook calls. */
export const HOOK_TASK_KIND = "hook";

/** The shortest sleep of the {@linkcode AfterQueueWorker} between two looks. */
const MIN_WAIT_MS = 20;

/** Tasks read per look at the work list; they run concurrently. */
const BATCH = 8;

/** What a hook task stores: which hook, at which point, with which input (plain data). */
interface HookTaskPayload {
  readonly hook: string;
  readonly phase: AfterQueuePhase;
  readonly input: Record<string, unknown>;
}

/**
 * The durable tasks for the `after_queue` hooks of `hooks` that export `phase`: one per hook,
 * holding a copy of `input`.
 *
 * @example Usage
 * ```ts
 * import { hookTasks } from "./after_queue.ts";
 * import { HookSet } from "./hook_set.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(hookTasks(HookSet.EMPTY, "onQueued", {} as never), []);
 * ```
 */
export function hookTasks<P extends AfterQueuePhase>(
  hooks: HookSet,
  phase: P,
  input: InputOf<P>,
): TaskInit[] {
  return hooks.afterQueue(phase).map((hook) => ({
    kind: HOOK_TASK_KIND,
    payload: { hook: hook.path, phase, input: structuredClone(input) },
  }));
}

/**
 * The `onDeliveryResult` input for `results` of one attempt of `message` (plain data; its
 * context is the one stored with the message).
 *
 * @example Usage
 * ```ts
 * import { deliveryResultInput } from "./after_queue.ts";
 * import assert from "node:assert/strict";
 * const message = { id: "ID", reversePath: "", recipients: [{ address: "b@example.org" }], receivedFrom: { ip: "192.0.2.1", helo: "c" } };
 * const input = deliveryResultInput(message, [{ recipient: "b@example.org", status: "delivered", attempt: 1 }]);
 * assert.deepEqual(input.context, {});
 * ```
 */
export function deliveryResultInput(
  message: Pick<QueuedMessage, "id" | "reversePath" | "receivedFrom" | "hookContext"> & {
    readonly recipients: readonly { readonly address: string }[];
  },
  results: readonly DeliveryResultView[],
): InputOf<"onDeliveryResult"> {
  const from = message.receivedFrom;
  return {
    messageId: message.id,
    reversePath: message.reversePath,
    recipients: message.recipients.map((recipient) => recipient.address),
    receivedFrom: {
      ip: from.ip,
      helo: from.helo,
      ...(from.listener === undefined ? {} : { listener: from.listener }),
      ...(from.authUser === undefined ? {} : { authUser: from.authUser }),
    },
    results: results.map((result) => ({ ...result })),
    context: { ...message.hookContext },
  };
}

/**
 * Runs an after-queue point: hooks without `after_queue` at once and best effort (not
 * awaited), `after_queue` hooks by storing a task each for the {@linkcode AfterQueueWorker}
 * (awaited, so the work is durable before the caller goes on). Never rejects.
 */
export async function dispatchAfterQueue<P extends AfterQueuePhase>(
  deps: {
    readonly hooks: HookSet;
    readonly queue: Pick<QueueStore, "addTasks">;
    readonly wake: () => void;
  },
  phase: P,
  input: InputOf<P>,
): Promise<void> {
  void deps.hooks.notify(phase, deepFreeze(structuredClone(input)));
  const tasks = hookTasks(deps.hooks, phase, input);
  if (tasks.length === 0) return;
  try {
    await deps.queue.addTasks(tasks);
    deps.wake();
  } catch (error) {
    logger.error("Cannot store {count} after-queue hook tasks for {phase}: {error}", {
      count: tasks.length,
      phase,
      error,
    });
  }
}

/** What an {@linkcode AfterQueueWorker} uses. */
export interface AfterQueueDeps {
  /** Where the tasks are. */
  readonly queue: Pick<QueueStore, "dueTasks" | "settleTask">;
  /** The hooks in force. */
  readonly hooks: () => HookSet;
  readonly now: () => number;
  /** Delays between tries (the last repeats) and tries before giving up; read at each failure. */
  readonly settings: () => { readonly retry: readonly number[]; readonly maxAttempts: number };
  /**
   * The longest wait between two looks at the work list when not woken, in milliseconds: the
   * worker sleeps until the next task is due, or until woken when there is none.
   * @default {60000}
   */
  readonly pollMs?: number;
}

/**
 * Runs the `after_queue` hook calls stored in the queue: a task is removed once its hook
 * returned, retried with the configured backoff when it threw or ran out of time, and given
 * up (with an error log) after `max_attempts` tries. A task whose hook is no longer
 * configured is dropped with a warning. Tasks left when the process stops or crashes run at
 * the next start: at least once, not exactly once.
 *
 * @example Usage
 * ```ts ignore
 * const worker = new AfterQueueWorker({ queue, hooks: () => registry.current, now: Date.now, settings });
 * worker.start();
 * await worker.stop();
 * ```
 */
export class AfterQueueWorker {
  readonly #deps: AfterQueueDeps;
  readonly #stopping = new AbortController();
  #phase: "idle" | "running" | "stopped" = "idle";
  #loop: Promise<void> = Promise.resolve();
  #wakeUp: (() => void) | undefined;
  #woken = false;

  constructor(deps: AfterQueueDeps) {
    this.#deps = deps;
  }

  /** Starts looking at the work list. */
  start(): void {
    if (this.#phase !== "idle") return;
    this.#phase = "running";
    this.#loop = this.#run();
  }

  /** New tasks were stored: look now. */
  wake(): void {
    this.#woken = true;
    this.#wakeUp?.();
  }

  /**
   * Stops: calls in progress are abandoned (their tasks stay and run at the next start).
   * Idempotent.
   */
  async stop(): Promise<void> {
    if (this.#phase === "running") {
      this.#phase = "stopped";
      this.#stopping.abort();
      this.#wakeUp?.();
    }
    this.#phase = "stopped";
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (this.#phase === "running") {
      this.#woken = false;
      let ran = 0;
      try {
        const due = await this.#deps.queue.dueTasks(this.#deps.now(), BATCH);
        const hookTasks = due.filter((task) => task.kind === HOOK_TASK_KIND);
        await Promise.all(hookTasks.map((task) => this.#runTask(task)));
        ran = hookTasks.length;
      } catch (error) {
        logger.error("Cannot read the after-queue work list: {error}", { error });
      }
      if (ran < BATCH && !this.#woken) await this.#sleep(await this.#untilNextTask());
    }
  }

  /** Milliseconds until the earliest stored task is due, at most `pollMs`. */
  async #untilNextTask(): Promise<number> {
    const longest = this.#deps.pollMs ?? 60_000;
    try {
      const [next] = await this.#deps.queue.dueTasks(Number.MAX_SAFE_INTEGER, 1);
      if (next === undefined) return longest;
      // A task of another kind is not this worker's: look again after the longest wait.
      if (next.kind !== HOOK_TASK_KIND) return longest;
      // A floor, so that a task that cannot be settled is not tried in a tight loop.
      return Math.min(longest, Math.max(MIN_WAIT_MS, next.runAt - this.#deps.now()));
    } catch (error) {
      logger.error("Cannot read the after-queue work list: {error}", { error });
      return longest;
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wakeUp = done;
      // Woken while the next due time was read: look again at once.
      if (this.#woken || this.#phase !== "running") done();
    });
  }

  async #runTask(task: QueueTask): Promise<void> {
    const { hook: path, phase, input } = task.payload as unknown as HookTaskPayload;
    const hooks = this.#deps.hooks();
    const hook = hooks.find(path);
    if (hook === undefined || !hook.afterQueue || typeof hook.module[phase] !== "function") {
      logger.warn(
        "After-queue task {task} dropped: hook {hook} no longer runs {phase} after queue",
        {
          task: task.id,
          hook: path,
          phase,
        },
      );
      return await this.#settle(task);
    }
    const frozen = deepFreeze(structuredClone(input)) as InputOf<typeof phase>;
    const outcome = await hooks.call(hook, phase, frozen, this.#stopping.signal);
    if (outcome.ok) return await this.#settle(task);
    if (outcome.error instanceof HookCancelledError) return; // stopping: the task stays
    logFailure(hook, phase, outcome.error);
    const { retry, maxAttempts } = this.#deps.settings();
    const tries = task.attempts + 1;
    if (tries >= maxAttempts) {
      logger.error("After-queue hook {hook} at {phase} given up after {tries} tries", {
        hook: path,
        phase,
        tries,
        task: task.id,
      });
      return await this.#settle(task);
    }
    const delay = retry[Math.min(task.attempts, retry.length - 1)] ?? 60_000;
    await this.#settle(task, this.#deps.now() + delay);
  }

  async #settle(task: QueueTask, retryAt?: number): Promise<void> {
    try {
      await this.#deps.queue.settleTask(task, retryAt);
    } catch (error) {
      logger.error("Cannot update after-queue task {task}: {error}", { task: task.id, error });
    }
  }
}
