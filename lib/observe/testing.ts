/**
 * Test helpers for metrics: reading one series out of a Prometheus text scrape.
 *
 * @module
 */

/** One series of a scrape: its name, labels and value. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const SAMPLE_REGEXP = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL_REGEXP = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/**
 * Parses the sample lines of the Prometheus text exposition format (comments skipped).
 *
 * @example Usage
 * ```ts
 * import { parseSamples } from "./testing.ts";
 * import assert from "node:assert/strict";
 *
 * const [sample] = parseSamples('# TYPE a_total counter\na_total{x="1"} 2\n');
 * assert.deepEqual(sample, { name: "a_total", labels: { x: "1" }, value: 2 });
 * ```
 */
export function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    const match = SAMPLE_REGEXP.exec(line);
    if (match === null || line.startsWith("#")) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? "").matchAll(LABEL_REGEXP)) labels[key] = value;
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/**
 * The value of the series `name` whose labels include `labels`, summed over
 * every matching series; `undefined` when none matches.
 *
 * @example Usage
 * ```ts
 * import { sampleValue } from "./testing.ts";
 * import assert from "node:assert/strict";
 *
 * const text = 'a_total{x="1",y="a"} 2\na_total{x="1",y="b"} 3\n';
 * assert.equal(sampleValue(text, "a_total", { x: "1" }), 5);
 * assert.equal(sampleValue(text, "b_total"), undefined);
 * ```
 */
export function sampleValue(
  text: string,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number | undefined {
  const matching = parseSamples(text).filter((sample) =>
    sample.name === name &&
    Object.entries(labels).every(([key, value]) => sample.labels[key] === value)
  );
  if (matching.length === 0) return undefined;
  return matching.reduce((sum, sample) => sum + sample.value, 0);
}
