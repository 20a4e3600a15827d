import { getLogger } from "../observe/mod.ts";
import { localError, type Reply } from "../smtp/mod.ts";
import { type CallOutcome, callWithBudget, HookCancelledError } from "./_budget.ts";
import type { AfterQueuePhase, HookPhase, HookResult, Hooks, SessionHookPhase } from "./types.ts";
import { checkResult, MAX_ADDED_HEADER_BYTES } from "./verdicts.ts";

const logger = getLogger(["empath", "hooks"]);

/** One loaded `[[hooks]]` module with its settings. */
export interface LoadedHook {
  /** The path as configured (names the hook in logs and in after-queue tasks). */
  readonly path: string;
  /** The URL the module was imported from, with its version. */
  readonly url: string;
  /** Time budget of one call, in milliseconds. */
  readonly timeoutMs: number;
  /** Whether `onQueued` and `onDeliveryResult` run from the durable work list. */
  readonly afterQueue: boolean;
  /** The module's hook functions. */
  readonly module: Hooks;
}

/** What a hook point gives each hook, without the `signal` the runner adds. */
export type InputOf<P extends HookPhase> = P extends HookPhase
  ? Omit<Parameters<NonNullable<Hooks[P]>>[0], "signal">
  : never;

/** What the hooks of a session point decided together. */
export type HookDecision =
  /** Go on with Empath's own answer; `headers`: fields `onData` hooks added (CRLF-ended lines). */
  | {
    readonly kind: "continue";
    readonly headers: string;
    /** The priority the last `setPriority()` asked for, if any. */
    readonly priority?: number;
  }
  /** Answer with `reply`: a hook refused, or failed (`451 4.3.0`). */
  | { readonly kind: "refuse"; readonly reply: Reply };

const CONTINUE: HookDecision = { kind: "continue", headers: "" };

/**
 * The hooks of one configuration, in their configured order. Immutable: a reload builds a
 * new set. Runs a hook point under each hook's time budget and turns failures into
 * `451 4.3.0` and an error log naming the hook and the point.
 *
 * @example Usage
 * ```ts
 * import { HookSet } from "./hook_set.ts";
 * import assert from "node:assert/strict";
 *
 * const hooks = new HookSet([{
 *   path: "inline.ts",
 *   url: "inline:",
 *   timeoutMs: 100,
 *   afterQueue: false,
 *   module: { onHelo: ({ helo }) => helo.domain === "bad" ? { action: "reject", code: 550, text: "No" } : undefined },
 * }]);
 * const session = { connectionId: 1, listener: "smtp", peer: { ip: "192.0.2.1", port: 1 } };
 * const decision = await hooks.run("onHelo", { session, helo: { verb: "EHLO", domain: "bad" }, context: {} });
 * assert.equal(decision.kind === "refuse" && decision.reply.code, 550);
 * ```
 */
export class HookSet {
  /** A set without hooks. */
  static readonly EMPTY: HookSet = new HookSet([]);
  readonly #hooks: readonly LoadedHook[];

  constructor(hooks: readonly LoadedHook[]) {
    this.#hooks = hooks;
  }

  /** The hooks, in order. */
  get hooks(): readonly LoadedHook[] {
    return this.#hooks;
  }

  /** Whether any hook exports `phase`. */
  has(phase: HookPhase): boolean {
    return this.#hooks.some((hook) => typeof hook.module[phase] === "function");
  }

  /** The hook configured with `path`, if any. */
  find(path: string): LoadedHook | undefined {
    return this.#hooks.find((hook) => hook.path === path);
  }

  /**
   * Runs the hooks of a session point in order until one accepts or refuses. A hook that
   * throws, exceeds its budget or answers something invalid refuses with `451 4.3.0`.
   */
  async run<P extends SessionHookPhase>(phase: P, input: InputOf<P>): Promise<HookDecision> {
    let headers = "";
    let priority: number | undefined;
    const carryOn = (): HookDecision =>
      headers === "" && priority === undefined
        ? CONTINUE
        : { kind: "continue", headers, ...(priority === undefined ? {} : { priority }) };
    for (const hook of this.#hooks) {
      if (typeof hook.module[phase] !== "function") continue;
      const outcome = await this.call(hook, phase, input);
      if (!outcome.ok) return failed(hook, phase, outcome.error);
      let checked;
      try {
        checked = checkResult(phase, outcome.value as HookResult);
      } catch (error) {
        return failed(hook, phase, error);
      }
      switch (checked.kind) {
        case "continue":
          continue;
        case "accept":
          return carryOn();
        case "priority":
          priority = checked.priority;
          continue;
        case "refuse":
          logger.info("Hook {hook} refused at {phase}: {code} {text}", {
            hook: hook.path,
            phase,
            code: checked.reply.code,
            text: checked.reply.lines.join(" "),
          });
          return { kind: "refuse", reply: checked.reply };
        case "headers":
          if (headers.length + checked.text.length > MAX_ADDED_HEADER_BYTES) {
            const error = new RangeError(
              `Cannot add header fields: hooks added more than ${MAX_ADDED_HEADER_BYTES} octets`,
            );
            return failed(hook, phase, error);
          }
          headers += checked.text;
      }
    }
    return carryOn();
  }

  /**
   * Runs the hooks of an after-queue point that are not `after_queue`, one after the other,
   * best effort: failures are logged. Never rejects.
   */
  async notify<P extends AfterQueuePhase>(phase: P, input: InputOf<P>): Promise<void> {
    for (const hook of this.#hooks) {
      if (hook.afterQueue || typeof hook.module[phase] !== "function") continue;
      const outcome = await this.call(hook, phase, input);
      if (!outcome.ok) logFailure(hook, phase, outcome.error);
    }
  }

  /** The `after_queue` hooks that export `phase`. */
  afterQueue(phase: AfterQueuePhase): LoadedHook[] {
    return this.#hooks.filter((hook) =>
      hook.afterQueue && typeof hook.module[phase] === "function"
    );
  }

  /**
   * Calls one hook at `phase` within its budget, with `input` frozen (its views are frozen
   * by their builders; `context` stays mutable). `cancel` abandons the call early.
   */
  call<P extends HookPhase>(
    hook: LoadedHook,
    phase: P,
    input: InputOf<P>,
    cancel?: AbortSignal,
  ): Promise<CallOutcome<unknown>> {
    const fn = hook.module[phase] as ((input: unknown) => unknown) | undefined;
    if (typeof fn !== "function") {
      return Promise.resolve({ ok: false, error: new TypeError(`Hook has no ${phase}`) });
    }
    return callWithBudget(
      (signal) => fn.call(hook.module, Object.freeze({ ...input, signal })),
      hook.timeoutMs,
      cancel,
    );
  }
}

/** Logs a failed hook call: its path, point and error. */
export function logFailure(hook: LoadedHook, phase: HookPhase, error: unknown): void {
  if (error instanceof HookCancelledError) return;
  logger.error("Hook {hook} failed at {phase}: {error}", {
    hook: hook.path,
    phase,
    error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
  });
}

function failed(hook: LoadedHook, phase: HookPhase, error: unknown): HookDecision {
  logFailure(hook, phase, error);
  return { kind: "refuse", reply: localError() };
}
