// Mutation groups for the group committer: plain descriptions of Deno KV atomic operations
// with their cost against the per-commit limits.
import { serializedSizeBound } from "./_record.ts";

/** One operation of an atomic Deno KV commit. */
export type KvOp =
  | { kind: "set"; key: Deno.KvKey; value: unknown; valueBytes: number }
  | { kind: "delete"; key: Deno.KvKey }
  | { kind: "sum"; key: Deno.KvKey; value: bigint }
  | { kind: "check"; key: Deno.KvKey; versionstamp: string | null };

/** What a group of operations costs against the Deno KV atomic-commit limits. */
export interface OpsCost {
  mutations: number;
  checks: number;
  mutationBytes: number;
  keyBytes: number;
}

/**
 * Budget for one batched commit. Deno KV allows 1000 mutations, 100 checks,
 * 819,200 bytes of mutations and 81,920 bytes of keys; keep a margin because
 * the sizes here are estimates of the encoded form.
 */
export const BATCH_BUDGET: OpsCost = {
  mutations: 900,
  checks: 90,
  mutationBytes: 700_000,
  keyBytes: 64_000,
};

/** A set; the value's size is its byte length for Uint8Array, else an upper bound. */
export function setOp(key: Deno.KvKey, value: unknown, valueBytes?: number): KvOp {
  const bytes = valueBytes ??
    (value instanceof Uint8Array ? value.byteLength : serializedSizeBound(value));
  return { kind: "set", key, value, valueBytes: bytes };
}

/** A delete of one key. */
export function deleteOp(key: Deno.KvKey): KvOp {
  return { kind: "delete", key };
}

/** A wrapping 64-bit sum (`delta` may be negative). */
export function sumOp(key: Deno.KvKey, delta: number): KvOp {
  return { kind: "sum", key, value: BigInt.asUintN(64, BigInt(delta)) };
}

/** A versionstamp check (`null` asserts that the key is absent). */
export function checkOp(key: Deno.KvKey, versionstamp: string | null): KvOp {
  return { kind: "check", key, versionstamp };
}

/** Sums the cost of a group of operations. */
export function costOf(ops: readonly KvOp[]): OpsCost {
  const cost: OpsCost = { mutations: 0, checks: 0, mutationBytes: 0, keyBytes: 0 };
  for (const op of ops) {
    const keyBytes = estimateKeyBytes(op.key);
    cost.keyBytes += keyBytes;
    if (op.kind === "check") {
      cost.checks++;
      continue;
    }
    cost.mutations++;
    cost.mutationBytes += keyBytes + (op.kind === "set" ? op.valueBytes : 8);
  }
  return cost;
}

/** Adds `extra` to `total` in place. */
export function addCost(total: OpsCost, extra: OpsCost): void {
  total.mutations += extra.mutations;
  total.checks += extra.checks;
  total.mutationBytes += extra.mutationBytes;
  total.keyBytes += extra.keyBytes;
}

/** Tells whether `total + extra` stays within `budget`. */
export function fitsBudget(
  total: OpsCost,
  extra: OpsCost,
  budget: OpsCost = BATCH_BUDGET,
): boolean {
  return total.mutations + extra.mutations <= budget.mutations &&
    total.checks + extra.checks <= budget.checks &&
    total.mutationBytes + extra.mutationBytes <= budget.mutationBytes &&
    total.keyBytes + extra.keyBytes <= budget.keyBytes;
}

/** Adds the operations to an atomic operation builder. */
export function applyOps(atomic: Deno.AtomicOperation, ops: readonly KvOp[]): void {
  for (const op of ops) {
    switch (op.kind) {
      case "set":
        atomic.set(op.key, op.value);
        break;
      case "delete":
        atomic.delete(op.key);
        break;
      case "sum":
        atomic.sum(op.key, op.value);
        break;
      case "check":
        atomic.check({ key: op.key, versionstamp: op.versionstamp });
        break;
      default:
        throw new TypeError(`Unknown KV operation "${(op as { kind: string }).kind}"`);
    }
  }
}

/** Upper estimate of a key's encoded size (tuple encoding: tag, escaped bytes, terminator). */
function estimateKeyBytes(key: Deno.KvKey): number {
  let bytes = 0;
  for (const part of key) {
    if (typeof part === "string") bytes += part.length * 3 + 2;
    else if (part instanceof Uint8Array) bytes += part.byteLength * 2 + 2;
    else bytes += 10;
  }
  return bytes;
}
