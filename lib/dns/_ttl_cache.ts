// A bounded map with per-entry expiry. Map iteration order is insertion order,
// and a hit re-inserts its entry, so the first key is the least recently used.

interface Slot<V> {
  readonly value: V;
  readonly expiresAt: number;
}

/** Entries expire at their own time; beyond `maxEntries` the least recently used goes. */
export class TtlCache<V> {
  readonly #slots = new Map<string, Slot<V>>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(
        `Cannot create a cache of "${maxEntries}" entries: expected a positive integer`,
      );
    }
    this.#maxEntries = maxEntries;
  }

  /** Number of entries, expired or not. */
  get size(): number {
    return this.#slots.size;
  }

  /** The live value of `key` at time `now`; an expired entry is removed. */
  get(key: string, now: number): V | undefined {
    const slot = this.#slots.get(key);
    if (slot === undefined) return undefined;
    this.#slots.delete(key);
    if (slot.expiresAt <= now) return undefined;
    this.#slots.set(key, slot);
    return slot.value;
  }

  /** Stores `value` until `expiresAt`, evicting the least recently used entries beyond the bound. */
  set(key: string, value: V, expiresAt: number): void {
    this.#slots.delete(key);
    this.#slots.set(key, { value, expiresAt });
    for (const oldest of this.#slots.keys()) {
      if (this.#slots.size <= this.#maxEntries) break;
      this.#slots.delete(oldest);
    }
  }

  /** Removes every entry whose key matches; returns how many went. */
  deleteWhere(matches: (key: string) => boolean): number {
    let removed = 0;
    for (const key of [...this.#slots.keys()]) {
      if (matches(key)) {
        this.#slots.delete(key);
        removed++;
      }
    }
    return removed;
  }

  /** Live entries at time `now`, least recently used first. */
  *live(now: number): Generator<[string, V, number]> {
    for (const [key, slot] of this.#slots) {
      if (slot.expiresAt > now) yield [key, slot.value, slot.expiresAt];
    }
  }
}
