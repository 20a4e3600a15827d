/** The label of every domain seen after the cap is reached. */
export const OTHER_DOMAIN = "other";

/** The default cap of `[observe.metrics] max_domains`. */
export const DEFAULT_MAX_DOMAINS = 100;

/**
 * Caps the number of distinct `domain` label values, so that mail to many
 * domains cannot grow the number of series without bound: the first
 * `maxDomains` domains seen keep their own label for the life of the process,
 * and every later one is labelled {@linkcode OTHER_DOMAIN}. Domains are
 * compared case-insensitively, without a trailing dot.
 *
 * @example Usage
 * ```ts
 * import { DomainLabels } from "./domain_labels.ts";
 * import assert from "node:assert/strict";
 *
 * const labels = new DomainLabels(1);
 * assert.equal(labels.label("Example.ORG"), "example.org");
 * assert.equal(labels.label("example.net"), "other");
 * assert.equal(labels.label("example.org."), "example.org");
 * ```
 */
export class DomainLabels {
  readonly #max: number;
  readonly #known = new Set<string>();

  /**
   * @param maxDomains Most distinct domains labelled by name (0: all are "other").
   * @throws {RangeError} If `maxDomains` is not an integer >= 0.
   */
  constructor(maxDomains: number = DEFAULT_MAX_DOMAINS) {
    if (!Number.isSafeInteger(maxDomains) || maxDomains < 0) {
      throw new RangeError(`Cannot cap domain labels at "${maxDomains}": expected an integer >= 0`);
    }
    this.#max = maxDomains;
  }

  /** Number of domains labelled by name so far. */
  get size(): number {
    return this.#known.size;
  }

  /**
   * The label value for `domain`.
   *
   * @param domain A domain name, in any case; empty or absent counts as "other".
   * @returns The lowercased domain while under the cap or already known, else "other".
   */
  label(domain: string | undefined): string {
    const name = (domain ?? "").toLowerCase().replace(/\.$/, "");
    if (name === "") return OTHER_DOMAIN;
    if (this.#known.has(name)) return name;
    if (this.#known.size >= this.#max) return OTHER_DOMAIN;
    this.#known.add(name);
    return name;
  }
}
