/**
 * How priorities share delivery slots: every slot but one in {@linkcode AGED_SLOT_EVERY} goes to
 * the most urgent due message (earliest first within a priority), and that one goes to the
 * longest-waiting due message whatever its priority. A steady stream of urgent mail therefore
 * takes at most three quarters of the deliveries, and a backlog of low-priority mail keeps
 * moving at a quarter of the throughput or more; with no urgent mail, everything is served in
 * due order.
 *
 * @module
 */

/** One slot in this many is given by age rather than priority. */
export const AGED_SLOT_EVERY = 4;

/** What the pick needs of a due message. */
export interface DueCandidate {
  readonly id: string;
  readonly nextAttemptAt: number;
}

/**
 * Chooses which due messages get the free delivery slots.
 *
 * @param candidates Due messages in priority order (as `QueueStore.due()` returns them).
 * @param free Free delivery slots.
 * @param firstSlot Running number of the first free slot (slots handed out so far); every slot
 *   whose number is `AGED_SLOT_EVERY - 1` modulo `AGED_SLOT_EVERY` goes by age.
 * @returns At most `free` candidates, in the order they were picked.
 *
 * @example Usage
 * ```ts
 * import { pickDue } from "./priority_pick.ts";
 * import assert from "node:assert/strict";
 *
 * const urgent = [1, 2, 3].map((n) => ({ id: `u${n}`, nextAttemptAt: 100 + n }));
 * const old = { id: "old", nextAttemptAt: 1 };
 * const picked = pickDue([...urgent, old], 4, 0).map((message) => message.id);
 * assert.deepEqual(picked, ["u1", "u2", "u3", "old"]);
 * assert.deepEqual(pickDue([...urgent, old], 1, 3).map((m) => m.id), ["old"]);
 * ```
 */
export function pickDue<T extends DueCandidate>(
  candidates: readonly T[],
  free: number,
  firstSlot: number,
): T[] {
  if (candidates.length <= free) return [...candidates];
  const byAge = [...candidates].sort((a, b) => a.nextAttemptAt - b.nextAttemptAt);
  const taken = new Set<string>();
  const picked: T[] = [];
  let nextByPriority = 0;
  let nextByAge = 0;
  for (let slot = firstSlot; picked.length < free; slot++) {
    const aged = slot % AGED_SLOT_EVERY === AGED_SLOT_EVERY - 1;
    let choice: T | undefined;
    if (aged) {
      while (nextByAge < byAge.length && taken.has(byAge[nextByAge].id)) nextByAge++;
      choice = byAge[nextByAge];
    } else {
      while (nextByPriority < candidates.length && taken.has(candidates[nextByPriority].id)) {
        nextByPriority++;
      }
      choice = candidates[nextByPriority];
    }
    if (choice === undefined) break;
    taken.add(choice.id);
    picked.push(choice);
  }
  return picked;
}
