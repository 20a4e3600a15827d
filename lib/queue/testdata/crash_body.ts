// Bodies derived from message ids, so a crash test can verify them after a restart.
import { patternBytes } from "../_contract_support.ts";

/** FNV-1a hash of the id. */
function hashId(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193) >>> 0;
  }
  return hash;
}

/** The body the crash-test writer spools for `id`: small, multi-chunk or large. */
export function bodyForId(id: string): Uint8Array {
  const hash = hashId(id);
  const sizes = [hash % 2000, 64_000 + (hash % 100_000), 200_000 + (hash % 200_000)];
  return patternBytes(hash, sizes[hash % 3]);
}

/** Whether the writer aborts this spool instead of committing it (about one in five). */
export function abortsForId(id: string): boolean {
  return hashId(id) % 5 === 4;
}
