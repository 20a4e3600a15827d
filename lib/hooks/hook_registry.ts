import { HookSet } from "./hook_set.ts";

/**
 * The hooks in force, shared by every listener and the delivery engine: a reload
 * {@linkcode replace}s the set, and each caller reads {@linkcode current} when a hook point
 * comes up (an SMTP transaction keeps the set it started with).
 *
 * @example Usage
 * ```ts
 * import { HookRegistry } from "./hook_registry.ts";
 * import { HookSet } from "./hook_set.ts";
 * import assert from "node:assert/strict";
 *
 * const registry = new HookRegistry();
 * const next = new HookSet([]);
 * registry.replace(next);
 * assert.equal(registry.current, next);
 * ```
 */
export class HookRegistry {
  #current: HookSet;

  constructor(initial: HookSet = HookSet.EMPTY) {
    this.#current = initial;
  }

  /** The set in force now. */
  get current(): HookSet {
    return this.#current;
  }

  /** Puts `next` in force for every hook point that comes up from now on. */
  replace(next: HookSet): void {
    this.#current = next;
  }
}
