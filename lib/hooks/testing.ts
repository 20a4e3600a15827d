/**
 * Helpers for tests of hooks and of code that runs them: a hook made from an object instead of
 * a module file, sample views, and a log capture.
 *
 * @module
 */
import { resetLogging, setupLogging } from "../observe/mod.ts";
import { deepFreeze } from "./context.ts";
import type { LoadedHook } from "./hook_set.ts";
import type { EnvelopeView, Hooks, SessionView } from "./types.ts";

/** A {@linkcode LoadedHook} from an object of hook functions. */
export function inlineHook(
  module: Hooks,
  options: { path?: string; timeoutMs?: number; afterQueue?: boolean } = {},
): LoadedHook {
  return {
    path: options.path ?? "inline.ts",
    url: "inline:",
    timeoutMs: options.timeoutMs ?? 100,
    afterQueue: options.afterQueue ?? false,
    module,
  };
}

/** A frozen session view of a plain client on 192.0.2.1. */
export const SESSION: SessionView = deepFreeze({
  connectionId: 7,
  listener: "smtp",
  peer: { ip: "192.0.2.1", port: 40000 },
  helo: { verb: "EHLO", domain: "client.example" },
});

/** A frozen envelope view from `a@example.org` to `b@example.test`. */
export const ENVELOPE: EnvelopeView = deepFreeze({
  reversePath: "a@example.org",
  recipients: ["b@example.test"],
  mailParams: { smtputf8: false },
});

/** Log records written while `run` runs (JSON objects), at debug level and above. */
export async function captureLogs(run: () => Promise<void>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  await setupLogging({ level: "debug", format: "json", write: (line) => lines.push(line) });
  try {
    await run();
  } finally {
    await resetLogging();
  }
  return lines.map((line) => JSON.parse(line));
}
