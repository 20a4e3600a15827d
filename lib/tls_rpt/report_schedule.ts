/**
 * Runs the report sender once per period, shortly after each period ends.
 *
 * @module
 */
import { getLogger } from "../observe/mod.ts";

const logger = getLogger(["empath", "tls-rpt"]);

/** The longest wait after a period's end, and after the start, before a run. */
const MAX_DELAY_MS = 60_000;

/** Options of {@linkcode TlsReportSchedule}. */
export interface TlsReportScheduleOptions {
  /** The reporting period, in milliseconds (periods are aligned to the epoch). */
  readonly intervalMs: number;
  readonly clock: { now(): number };
}

/**
 * When the next run is due: a tenth of the period (at most a minute) after the end of the
 * current period; the first run after a start comes sooner, after at most a minute, so that
 * periods that ended while Empath was down are sent without waiting a whole period.
 *
 * @param now The current time, in milliseconds.
 * @param intervalMs The period.
 * @param first Whether this is the first run since the start.
 * @returns The time of the next run, in milliseconds.
 *
 * @example Usage
 * ```ts
 * import { nextRunAt } from "./report_schedule.ts";
 * import assert from "node:assert/strict";
 *
 * const day = 86_400_000;
 * const now = Date.UTC(2024, 0, 1, 12);
 * assert.equal(nextRunAt(now, day, false), Date.UTC(2024, 0, 2, 0, 1));
 * assert.equal(nextRunAt(now, day, true), now + 60_000);
 * ```
 */
export function nextRunAt(now: number, intervalMs: number, first: boolean): number {
  const delay = Math.min(MAX_DELAY_MS, Math.ceil(intervalMs / 10));
  const afterPeriod = (Math.floor(now / intervalMs) + 1) * intervalMs + delay;
  return first ? Math.min(afterPeriod, now + Math.min(intervalMs, MAX_DELAY_MS)) : afterPeriod;
}

/**
 * Calls `run` at {@linkcode nextRunAt} times until stopped. A run that fails is logged; the
 * next one is scheduled either way.
 *
 * @example Usage
 * ```ts ignore
 * const schedule = new TlsReportSchedule(() => sender.run(), { intervalMs: 86_400_000, clock });
 * schedule.start();
 * await schedule.stop();
 * ```
 */
export class TlsReportSchedule {
  readonly #run: () => Promise<unknown>;
  readonly #options: TlsReportScheduleOptions;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> | undefined;
  #phase: "idle" | "started" | "stopped" = "idle";

  /**
   * @param run What to run (the report sender's `run()`).
   * @param options The period and the clock.
   */
  constructor(run: () => Promise<unknown>, options: TlsReportScheduleOptions) {
    this.#run = run;
    this.#options = options;
  }

  /** Schedules the first run. Idempotent; does nothing once stopped. */
  start(): void {
    if (this.#phase !== "idle") return;
    this.#phase = "started";
    this.#schedule(true);
  }

  /** Cancels the next run and waits for the one in progress, if any. */
  async stop(): Promise<void> {
    this.#phase = "stopped";
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  #schedule(first: boolean): void {
    if (this.#phase !== "started") return;
    const now = this.#options.clock.now();
    const delay = Math.max(0, nextRunAt(now, this.#options.intervalMs, first) - now);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.#run()
        .then(() => {}, (error) => logger.error("TLS report run failed: {error}", { error }))
        .finally(() => {
          this.#running = undefined;
          this.#schedule(false);
        });
    }, delay);
  }
}
