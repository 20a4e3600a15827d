/** Host limiter slots that a delivery may wait for, private to lib/delivery. */
import type { HostLimiter, HostOutcome } from "./host_limiter.ts";

/**
 * Host limiter slots with waiting: a caller refused a slot waits until a
 * slot of the same host is released (or `waitMs` passes).
 */
export class HostSlots {
  readonly #limiterFor: (max: number) => HostLimiter;
  readonly #signal: AbortSignal | undefined;
  readonly #waiters = new Map<string, (() => void)[]>();

  constructor(limiterFor: (max: number) => HostLimiter, signal?: AbortSignal) {
    this.#limiterFor = limiterFor;
    this.#signal = signal;
  }

  /** Takes a slot of `host`, waiting up to `waitMs` (or until the signal aborts); false if none came. */
  acquire(host: string, max: number, waitMs: number): Promise<boolean> {
    const limiter = this.#limiterFor(max);
    if (limiter.tryAcquire(host)) return Promise.resolve(true);
    const signal = this.#signal;
    if (waitMs <= 0 || signal?.aborted) return Promise.resolve(false);
    const key = `${max} ${host.toLowerCase()}`;
    const waiters = this.#waiters.get(key) ?? [];
    this.#waiters.set(key, waiters);
    return new Promise((resolve) => {
      const finish = (acquired: boolean) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", abort);
        const index = waiters.indexOf(waiter);
        if (index >= 0) waiters.splice(index, 1);
        if (waiters.length === 0 && this.#waiters.get(key) === waiters) this.#waiters.delete(key);
        resolve(acquired);
      };
      const waiter = () => {
        if (limiter.tryAcquire(host)) finish(true);
        else waiters.unshift(waiter);
      };
      const abort = () => finish(false);
      const timer = setTimeout(abort, waitMs);
      signal?.addEventListener("abort", abort, { once: true });
      waiters.push(waiter);
    });
  }

  /** Gives a slot back, adjusting the window, and lets the first waiter try. */
  release(host: string, max: number, outcome: HostOutcome): void {
    this.#limiterFor(max).release(host, outcome);
    this.#waiters.get(`${max} ${host.toLowerCase()}`)?.shift()?.();
  }
}
