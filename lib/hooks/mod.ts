/**
 * Policy hooks: TypeScript modules named in `[[hooks]]`, imported at start and on reload,
 * that can refuse or defer a connection, EHLO, MAIL, RCPT or message (`onConnect` …
 * `onData`), add header fields to a message, keep a per-transaction `context` that is stored
 * with it, and be told when it is queued and delivered (`onQueued`, `onDeliveryResult`; with
 * `after_queue = true` from a durable work list in the queue). Hooks are trusted code: they
 * run in Empath's process with its permissions. See docs/HOOKS.md.
 *
 * @example Usage
 * ```ts
 * import { HookSet, reject } from "./mod.ts";
 * import assert from "node:assert/strict";
 *
 * const hooks = new HookSet([{
 *   path: "inline.ts",
 *   url: "inline:",
 *   timeoutMs: 100,
 *   afterQueue: false,
 *   module: { onMailFrom: ({ envelope }) => envelope.reversePath === "" ? reject("No bounces here") : undefined },
 * }]);
 * const session = { connectionId: 1, listener: "smtp", peer: { ip: "192.0.2.1", port: 1 } };
 * const envelope = { reversePath: "", recipients: [], mailParams: { smtputf8: false } };
 * const decision = await hooks.run("onMailFrom", { session, envelope, context: {} });
 * assert.equal(decision.kind, "refuse");
 * ```
 *
 * @module
 */
export * from "./after_queue.ts";
export * from "./context.ts";
export * from "./hook_registry.ts";
export * from "./hook_set.ts";
export * from "./load_hooks.ts";
export * from "./message_view.ts";
export * from "./types.ts";
export * from "./verdicts.ts";
