// Stores spooled bodies and envelopes in Deno KV through the group committer.
import type { GroupCommitter } from "./_group_committer.ts";
import { bodyKey, COUNT_KEY, dueKey, messageKey, spoolMarkerKey, taskKey } from "./_kv_keys.ts";
import { deleteOp, setOp, sumOp } from "./_kv_ops.ts";
import type { KvOp } from "./_kv_ops.ts";
import type { SpoolSink } from "./_spool_writer.ts";
import { SpoolError } from "./spool_error.ts";
import type { Clock, QueuedMessage, QueueTask } from "./types.ts";

/** Deletes per group when removing a body; below the 1000-mutation limit. */
export const DELETES_PER_GROUP = 500;

/** A {@linkcode SpoolSink} writing to Deno KV via a {@linkcode GroupCommitter}. */
export class KvSpoolSink implements SpoolSink {
  readonly #committer: GroupCommitter;
  readonly #clock: Clock;
  readonly #kv: Deno.Kv;

  constructor(committer: GroupCommitter, clock: Clock, kv: Deno.Kv) {
    this.#committer = committer;
    this.#clock = clock;
    this.#kv = kv;
  }

  async writeChunks(id: string, index: number, chunks: Uint8Array[]): Promise<void> {
    const ops = chunks.map((chunk, i) => setOp(bodyKey(id, index + i), chunk));
    if (index === 0) ops.push(setOp(spoolMarkerKey(id), { startedAt: this.#clock.now() }));
    await this.#committer.submit(ops);
  }

  async commitMessage(
    message: QueuedMessage,
    lastChunks: Uint8Array[],
    writtenChunks: number,
    tasks: readonly QueueTask[],
  ): Promise<void> {
    const ops: KvOp[] = lastChunks.map((chunk, i) =>
      setOp(bodyKey(message.id, writtenChunks + i), chunk)
    );
    ops.push(
      setOp(messageKey(message.id), message),
      setOp(dueKey(message), null, 1),
      sumOp(COUNT_KEY, 1),
      ...tasks.map((task) => setOp(taskKey(task), task)),
    );
    if (writtenChunks > 0) ops.push(deleteOp(spoolMarkerKey(message.id)));
    await this.#committer.submit(ops);
  }

  async readChunk(id: string, index: number): Promise<Uint8Array> {
    const entry = await this.#kv.get<Uint8Array>(bodyKey(id, index));
    if (!(entry.value instanceof Uint8Array)) {
      throw new SpoolError(`Cannot read spool "${id}": chunk ${index} is missing`);
    }
    return entry.value;
  }

  async discard(id: string, chunkCount: number): Promise<void> {
    const keys: Deno.KvKey[] = [];
    for (let index = 0; index < chunkCount; index++) keys.push(bodyKey(id, index));
    await deleteInGroups(this.#committer, keys, spoolMarkerKey(id));
  }
}

/**
 * Deletes `keys` in groups of {@linkcode DELETES_PER_GROUP}, then `lastKey` with the
 * final group, so the marker disappears only once everything else is gone.
 */
export async function deleteInGroups(
  committer: GroupCommitter,
  keys: readonly Deno.KvKey[],
  lastKey: Deno.KvKey,
): Promise<void> {
  const groups: KvOp[][] = [];
  for (let start = 0; start < keys.length; start += DELETES_PER_GROUP) {
    groups.push(keys.slice(start, start + DELETES_PER_GROUP).map(deleteOp));
  }
  if (groups.length === 0) groups.push([]);
  groups[groups.length - 1].push(deleteOp(lastKey));
  for (const group of groups) await committer.submit(group);
}
