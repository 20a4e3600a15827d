// Write paths of the Deno KV queue besides spooling: delete, update and orphan cleanup.
import type { GroupCommitter } from "./_group_committer.ts";
import {
  bodyKey,
  COUNT_KEY,
  dueKey,
  messageKey,
  SPOOL_PREFIX,
  spoolMarkerKey,
} from "./_kv_keys.ts";
import { checkOp, deleteOp, setOp, sumOp } from "./_kv_ops.ts";
import type { KvOp } from "./_kv_ops.ts";
import { deleteInGroups, DELETES_PER_GROUP } from "./_kv_spool_sink.ts";
import { prepareUpdate } from "./_record.ts";
import type { QueuedMessage } from "./types.ts";

const MAX_CHECK_RETRIES = 3;

/** The store state the write paths need. */
export interface KvWriteTarget {
  kv: Deno.Kv;
  committer: GroupCommitter;
}

/**
 * Deletes a record, its due entry and its body. A body too large for one commit
 * is deleted in steps, guarded by a spool marker so a crash leaves an orphan that
 * cleanup finds.
 */
export async function deleteKvMessage(target: KvWriteTarget, id: string): Promise<boolean> {
  for (let attempt = 0; attempt < MAX_CHECK_RETRIES; attempt++) {
    const entry = await target.kv.get<QueuedMessage>(messageKey(id));
    if (entry.value === null) return false;
    const message = entry.value;
    const ops: KvOp[] = [
      checkOp(messageKey(id), entry.versionstamp),
      deleteOp(messageKey(id)),
      sumOp(COUNT_KEY, -1),
    ];
    if (message.state === "queued") ops.push(deleteOp(dueKey(message)));
    const inline = message.chunks < DELETES_PER_GROUP;
    const bodyKeys = Array.from({ length: message.chunks }, (_, index) => bodyKey(id, index));
    if (inline) ops.push(...bodyKeys.map(deleteOp));
    else ops.push(setOp(spoolMarkerKey(id), { startedAt: message.createdAt }));
    if (!await target.committer.submit(ops)) continue;
    if (!inline) await deleteInGroups(target.committer, bodyKeys, spoolMarkerKey(id));
    return true;
  }
  return false;
}

/**
 * Rewrites a record if its stored revision equals `message.revision`, moving the
 * due entry in the same commit (it exists only while the state is "queued").
 */
export async function updateKvMessage(
  target: KvWriteTarget,
  message: QueuedMessage,
): Promise<boolean> {
  const next = prepareUpdate(message);
  for (let attempt = 0; attempt < MAX_CHECK_RETRIES; attempt++) {
    const entry = await target.kv.get<QueuedMessage>(messageKey(message.id));
    const stored = entry.value;
    if (stored === null || stored.revision !== message.revision) return false;
    const ops: KvOp[] = [checkOp(messageKey(message.id), entry.versionstamp)];
    if (stored.state === "queued") ops.push(deleteOp(dueKey(stored)));
    ops.push(setOp(messageKey(message.id), next));
    if (next.state === "queued") ops.push(setOp(dueKey(next), null, 1));
    if (await target.committer.submit(ops)) return true;
  }
  return false;
}

/**
 * Removes the chunks of spools that never committed: every `["spool", id]` marker
 * without a `["msg", id]` record, skipping the spools in `active`. Costs O(orphans).
 */
export async function removeKvOrphans(
  target: KvWriteTarget,
  active: ReadonlySet<string>,
): Promise<number> {
  const ids: string[] = [];
  for await (const entry of target.kv.list({ prefix: SPOOL_PREFIX })) {
    const id = entry.key[1] as string;
    if (!active.has(id)) ids.push(id);
  }
  let removed = 0;
  for (const id of ids) {
    const record = await target.kv.get(messageKey(id));
    const keys: Deno.KvKey[] = [];
    if (record.versionstamp === null) {
      for await (const chunk of target.kv.list({ prefix: ["body", id] })) keys.push(chunk.key);
      removed++;
    }
    await deleteInGroups(target.committer, keys, spoolMarkerKey(id));
  }
  return removed;
}
