/**
 * The `dns.lookup` span, private to lib/dns: one per resolver call (an MX lookup with its
 * implicit-MX fallback, the A and AAAA lookups of a host, or a TXT lookup), a child of the
 * active context.
 * Answers from the cache make spans of a few microseconds.
 */
import { failSpan, inSpan, SpanKind } from "../observe/mod.ts";
import type { AddressResult, MxResult, TxtResult } from "./types.ts";

/**
 * Runs `lookup` inside a `dns.lookup` span with `dns.question.name`, `dns.question.type` and the
 * result kind as `empath.dns.result`; a temporary failure is an error.
 *
 * @param name The name asked for.
 * @param type `"MX"`, `"TXT"`, or `"A/AAAA"` for an address lookup.
 * @param lookup The lookup.
 * @returns What `lookup` resolves to.
 */
export function traceLookup<T extends MxResult | AddressResult | TxtResult>(
  name: string,
  type: "MX" | "A/AAAA" | "TXT",
  lookup: () => Promise<T>,
): Promise<T> {
  const attributes = { "dns.question.name": name, "dns.question.type": type };
  return inSpan("dns.lookup", { kind: SpanKind.CLIENT, attributes }, async (span) => {
    const result = await lookup();
    if (!span.isRecording()) return result;
    span.setAttribute("empath.dns.result", result.kind);
    if (result.kind === "mx" || result.kind === "implicit") {
      span.setAttribute("empath.dns.hosts", result.hosts.map((host) => host.exchange));
    } else if (result.kind === "addresses") {
      span.setAttribute("empath.dns.addresses", result.addresses);
    } else if (result.kind === "temporary-failure") failSpan(span, result.reason);
    return result;
  });
}
