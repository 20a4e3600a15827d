/**
 * Counts outbound TLS sessions into the queue's database as delivery reports them, without
 * ever holding a delivery up.
 *
 * @module
 */
import { getLogger, type TlsRptMetrics } from "../observe/mod.ts";
import type {
  TlsReportStore,
  TlsRptPolicy,
  TlsSessionFailure,
  TlsSessionRecord,
} from "../queue/mod.ts";

const logger = getLogger(["empath", "tls-rpt"]);

/** One session's outcome as delivery reports it; the recorder adds the period. */
export interface TlsSessionOutcome {
  /** `policy-domain`: the recipient domain, lowercase. */
  readonly domain: string;
  readonly policy: TlsRptPolicy;
  /** Why the session failed; absent: it succeeded. */
  readonly failure?: TlsSessionFailure;
}

/** The effects of {@linkcode TlsSessionRecorder}. */
export interface TlsSessionRecorderDeps {
  readonly store: Pick<TlsReportStore, "record">;
  readonly clock: { now(): number };
  /** Counts each recorded session by result. */
  readonly metrics?: TlsRptMetrics;
}

/** Options of {@linkcode TlsSessionRecorder}. */
export interface TlsSessionRecorderOptions {
  /** The reporting period, in milliseconds; periods are aligned to the epoch (a day: UTC days). */
  readonly intervalMs: number;
  /** Whether sessions are recorded now. @default {() => true} */
  readonly enabled?: () => boolean;
}

/**
 * Records session outcomes for SMTP TLS Reporting: each outcome is counted in the period it
 * falls in (`floor(now / interval) * interval`, so with a day, the UTC day), for its policy
 * domain and policy, with one atomic sum in the queue's database. {@linkcode record} returns at
 * once; a write that fails is logged and lost, never passed on to the delivery.
 *
 * Domain literals and non-ASCII domains are not recorded: they cannot publish a TLSRPT record.
 *
 * @example Usage
 * ```ts
 * import { TlsSessionRecorder } from "./session_recorder.ts";
 * import { openMemoryQueue } from "../queue/mod.ts";
 * import assert from "node:assert/strict";
 *
 * const clock = { now: () => Date.UTC(2024, 0, 1, 12) };
 * await using queue = openMemoryQueue({ clock });
 * const recorder = new TlsSessionRecorder({ store: queue.tlsReports, clock }, { intervalMs: 86_400_000 });
 * recorder.record({ domain: "example.org", policy: { type: "no-policy-found", strings: [], mx: [] } });
 * await recorder.flush();
 * const [period] = await queue.tlsReports.periods();
 * assert.equal(period.start, Date.UTC(2024, 0, 1));
 * assert.equal(period.policies[0].successes, 1);
 * ```
 */
export class TlsSessionRecorder {
  readonly #deps: TlsSessionRecorderDeps;
  readonly #intervalMs: number;
  readonly #enabled: () => boolean;
  readonly #writes = new Set<Promise<void>>();

  /**
   * @param deps Store, clock and metrics.
   * @param options The period length and whether recording is on.
   * @throws {RangeError} If `intervalMs` is not a positive integer.
   */
  constructor(deps: TlsSessionRecorderDeps, options: TlsSessionRecorderOptions) {
    if (!Number.isSafeInteger(options.intervalMs) || options.intervalMs < 1) {
      throw new RangeError(
        `Cannot create TLS session recorder: interval "${options.intervalMs}" is not an integer >= 1`,
      );
    }
    this.#deps = deps;
    this.#intervalMs = options.intervalMs;
    this.#enabled = options.enabled ?? (() => true);
  }

  /** The period `[start, end)` that `at` (milliseconds) falls in. */
  periodAt(at: number): { start: number; end: number } {
    const start = Math.floor(at / this.#intervalMs) * this.#intervalMs;
    return { start, end: start + this.#intervalMs };
  }

  /**
   * Counts one session; returns at once. Never throws.
   *
   * @param outcome The domain, policy and failure, if any.
   */
  record(outcome: TlsSessionOutcome): void {
    if (!this.#enabled() || !isReportableDomain(outcome.domain)) return;
    const session: TlsSessionRecord = {
      ...outcome,
      period: this.periodAt(this.#deps.clock.now()),
    };
    this.#deps.metrics?.sessionRecorded(outcome.failure?.resultType ?? "success");
    const write = this.#deps.store.record(session).catch((error) => {
      logger.warn("Cannot record a TLS session to {domain} for TLS reports: {error}", {
        domain: outcome.domain,
        error,
      });
    }).finally(() => this.#writes.delete(write));
    this.#writes.add(write);
  }

  /** Waits for the writes started so far (before the queue closes, and in tests). */
  async flush(): Promise<void> {
    await Promise.all([...this.#writes]);
  }
}

/** A domain name in ASCII: what can have an `_smtp._tls` TXT record. */
function isReportableDomain(domain: string): boolean {
  return /^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$/i.test(domain) && domain.includes(".");
}
