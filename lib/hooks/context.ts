import { getLogger } from "../observe/mod.ts";
import { MAX_HOOK_CONTEXT_BYTES } from "../queue/mod.ts";
import type { HookContext } from "./types.ts";

const logger = getLogger(["empath", "hooks"]);

/**
 * Freezes `value` and everything reachable from it, so a hook cannot change what it is shown
 * (in strict mode, which modules are, an assignment throws `TypeError`).
 *
 * @example Usage
 * ```ts
 * import { deepFreeze } from "./context.ts";
 * import assert from "node:assert/strict";
 * const view = deepFreeze({ peer: { ip: "192.0.2.1" } });
 * assert.ok(Object.isFrozen(view.peer));
 * ```
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/**
 * What of a hook context can be stored with a message: entries whose value is a string, a
 * finite number or a boolean, and only if their JSON text is at most 4 KiB. Anything else is
 * dropped with an error log (the message is still accepted: the context is the hooks'
 * business, not the sender's).
 *
 * @param context The context after the hooks ran.
 * @param messageId For the log.
 * @returns A plain copy, or `undefined` when nothing is left.
 *
 * @example Usage
 * ```ts
 * import { storableContext } from "./context.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(storableContext({ score: 2, tags: ["x"] as never }, "ID"), { score: 2 });
 * ```
 */
export function storableContext(context: HookContext, messageId: string): HookContext | undefined {
  const copy: HookContext = {};
  for (const [key, value] of Object.entries(context)) {
    const isScalar = typeof value === "string" || typeof value === "boolean" ||
      (typeof value === "number" && Number.isFinite(value));
    if (isScalar) copy[key] = value;
    else {
      logger.error(
        "Hook context {key} of message {message_id} dropped: not a string, number or boolean",
        {
          key,
          message_id: messageId,
        },
      );
    }
  }
  if (Object.keys(copy).length === 0) return undefined;
  const bytes = new TextEncoder().encode(JSON.stringify(copy)).byteLength;
  if (bytes > MAX_HOOK_CONTEXT_BYTES) {
    logger.error("Hook context of message {message_id} dropped: {bytes} bytes, at most {max}", {
      message_id: messageId,
      bytes,
      max: MAX_HOOK_CONTEXT_BYTES,
    });
    return undefined;
  }
  return copy;
}
