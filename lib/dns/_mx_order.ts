// Turning an MX answer into the ordered list delivery tries (RFC 5321 §5.1, RFC 7505).
import type { DnsRecord, MxHost, MxResult } from "./types.ts";

/**
 * Builds the result of an MX answer: `null-mx` when every record has the root
 * as exchange (RFC 7505 §3; a null MX mixed with real MX records is ignored),
 * otherwise the hosts lowercased, without trailing dot, deduplicated (lowest
 * preference wins), sorted by preference and shuffled among equal preferences.
 */
export function mxFromRecords(records: readonly DnsRecord[], random: () => number): MxResult {
  const best = new Map<string, number>();
  for (const record of records) {
    if (typeof record === "string") continue;
    const exchange = record.exchange.toLowerCase().replace(/\.$/, "");
    if (exchange === "") continue;
    const known = best.get(exchange);
    if (known === undefined || record.preference < known) best.set(exchange, record.preference);
  }
  if (best.size === 0) return { kind: "null-mx" };
  const hosts = [...best].map(([exchange, preference]) => ({ exchange, preference }));
  return { kind: "mx", hosts: orderByPreference(hosts, random) };
}

/** Sorts by preference and shuffles each run of equal preferences (Fisher–Yates). */
export function orderByPreference(hosts: MxHost[], random: () => number): MxHost[] {
  const sorted = [...hosts].sort((a, b) => a.preference - b.preference);
  let start = 0;
  while (start < sorted.length) {
    let end = start + 1;
    while (end < sorted.length && sorted[end].preference === sorted[start].preference) end++;
    for (let i = end - 1; i > start; i--) {
      const j = start + Math.floor(random() * (i - start + 1));
      [sorted[i], sorted[j]] = [sorted[j], sorted[i]];
    }
    start = end;
  }
  return sorted;
}
