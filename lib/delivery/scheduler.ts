import type { QueuedMessage, QueueStore } from "../queue/mod.ts";
import { getLogger } from "../observe/mod.ts";
import { pickDue } from "./priority_pick.ts";

const logger = getLogger(["empath", "delivery"]);

/** Longest sleep between due-index checks when nothing wakes the scheduler. */
const MAX_SLEEP_MS = 60_000;
/** Pause when due messages exist but none could be leased (another process holds them). */
const CONTENDED_SLEEP_MS = 50;

/** Options of a {@link Scheduler}. */
export interface SchedulerOptions {
  /** Most messages in delivery at once. */
  readonly concurrency: number;
  /** How long a lease lasts; a crashed worker's messages come back after it. */
  readonly leaseMs: number;
  /** Identifies this process in leases. */
  readonly owner: string;
}

/** Delivers one leased message; resolves when its record is updated or deleted. */
export type MessageWorker = (message: QueuedMessage) => Promise<void>;

/**
 * Takes due messages from the queue's due index, leases them, and runs a worker
 * for each, at most `concurrency` at once. Higher priorities go first, but every
 * fourth slot goes to the longest-waiting message (`priority_pick.ts`), so no
 * priority starves. It sleeps until the next
 * due time, a {@link wake} (new mail), or a worker finishing, so new mail is
 * picked up at once without polling.
 *
 * A lease is an optimistic `update()` that sets `lease` and moves
 * `nextAttemptAt` to the lease's end: if this process dies, the message becomes
 * due again when the lease runs out, and another process (or this one after a
 * restart) takes it.
 */
export class Scheduler {
  readonly #queue: QueueStore;
  readonly #worker: MessageWorker;
  readonly #options: SchedulerOptions;
  readonly #now: () => number;
  readonly #inFlight = new Map<string, Promise<void>>();
  #running = false;
  #loop: Promise<void> | undefined;
  #wakeUp: (() => void) | undefined;
  #woken = false;
  /** Delivery slots handed out so far: every fourth goes by age (see `priority_pick.ts`). */
  #slots = 0;

  constructor(
    queue: QueueStore,
    worker: MessageWorker,
    options: SchedulerOptions,
    now: () => number,
  ) {
    this.#queue = queue;
    this.#worker = worker;
    this.#options = options;
    this.#now = now;
  }

  /** Messages being delivered now. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Starts the scheduling loop. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Wakes the loop: new mail was queued, or an operator asked to process now. */
  wake(): void {
    this.#woken = true;
    this.#wakeUp?.();
  }

  /**
   * Stops taking new messages and waits up to `graceMs` for the ones in
   * delivery. A delivery still running after that keeps its lease, so the
   * message is retried once the lease expires (after a restart, too); nothing
   * is lost, at worst delivered late or twice. The engine interrupts such
   * deliveries and waits for them with {@link settled}.
   *
   * @returns Whether every delivery finished.
   */
  async stop(graceMs = 10_000): Promise<boolean> {
    this.#running = false;
    this.wake();
    await this.#loop;
    return await this.settled(graceMs);
  }

  /**
   * Waits up to `timeoutMs` for the deliveries in progress to finish.
   *
   * @returns Whether none is running any more.
   */
  async settled(timeoutMs: number): Promise<boolean> {
    if (this.#inFlight.size === 0) return true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.allSettled([...this.#inFlight.values()]),
      new Promise((resolve) => timer = setTimeout(resolve, timeoutMs)),
    ]);
    clearTimeout(timer);
    return this.#inFlight.size === 0;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      let started = 0;
      try {
        started = await this.#fill();
      } catch (error) {
        logger.error("Scheduler cannot read the queue: {error}", { error });
      }
      if (this.#running) await this.#sleep(started);
    }
  }

  async #fill(): Promise<number> {
    const free = this.#options.concurrency - this.#inFlight.size;
    if (free <= 0) return 0;
    const now = this.#now();
    const due = await this.#queue.due(now, free + this.#inFlight.size);
    const candidates = pickDue(
      due.filter((message) => !this.#inFlight.has(message.id)),
      free,
      this.#slots,
    );
    this.#slots += candidates.length;
    // Lease concurrently: the queue's group commit turns these into a few fsyncs.
    const leased = await Promise.all(candidates.map((message) => this.#lease(message, now)));
    if (!this.#running) {
      // Stopped while leasing: give the leases back rather than leave them to expire.
      await Promise.all(
        leased.map((message, i) => message && this.#release(message, candidates[i])),
      );
      return 0;
    }
    let started = 0;
    for (const message of leased) {
      if (message === undefined) continue;
      started++;
      const work = this.#worker(message)
        .catch((error) =>
          logger.error("Delivery of {message_id} failed: {error}", {
            message_id: message.id,
            error,
          })
        )
        .finally(() => {
          this.#inFlight.delete(message.id);
          this.wake();
        });
      this.#inFlight.set(message.id, work);
    }
    return started;
  }

  async #lease(message: QueuedMessage, now: number): Promise<QueuedMessage | undefined> {
    const until = now + this.#options.leaseMs;
    const leased = {
      ...message,
      lease: { owner: this.#options.owner, until },
      nextAttemptAt: until,
    };
    if (!await this.#queue.update(leased)) return undefined;
    return { ...leased, revision: message.revision + 1 };
  }

  async #release(leased: QueuedMessage, before: QueuedMessage): Promise<void> {
    const released = { ...leased, lease: undefined, nextAttemptAt: before.nextAttemptAt };
    await this.#queue.update(released).catch((error) =>
      logger.warn("Cannot release the lease of {message_id}: {error}", {
        message_id: leased.id,
        error,
      })
    );
  }

  async #sleep(started: number): Promise<void> {
    if (this.#woken) {
      this.#woken = false;
      return;
    }
    let delay = MAX_SLEEP_MS;
    if (this.#inFlight.size < this.#options.concurrency) {
      const next = await this.#queue.nextDueAt();
      if (next !== undefined) delay = Math.max(0, next - this.#now());
      if (delay === 0 && started === 0) delay = CONTENDED_SLEEP_MS;
    }
    if (delay === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      this.#wakeUp = resolve;
      timer = setTimeout(resolve, Math.min(delay, MAX_SLEEP_MS));
      if (this.#woken) resolve();
    });
    clearTimeout(timer);
    this.#wakeUp = undefined;
    this.#woken = false;
  }
}
