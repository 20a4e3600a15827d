// Read paths of the Deno KV queue: body streams, listing, stats and the due index.
import { bodyKey, dueRange, MESSAGE_PREFIX, messageKey } from "./_kv_keys.ts";
import { MAX_PRIORITY, MIN_PRIORITY, priorityBand } from "./priority.ts";
import { addToStats, emptyStats, PageCollector, pageLimit } from "./_query.ts";
import { SpoolError } from "./spool_error.ts";
import type { ListFilter, ListPage, ListResult, QueuedMessage, QueueStats } from "./types.ts";

const SCAN_BATCH_SIZE = 500;
const GET_MANY_MAX = 10;

/** Every due-index band, most urgent first. */
const BANDS: readonly number[] = Array.from(
  { length: MAX_PRIORITY - MIN_PRIORITY + 1 },
  (_, index) => priorityBand(MAX_PRIORITY - index),
);

/** Reads one record. */
export async function readMessage(kv: Deno.Kv, id: string): Promise<QueuedMessage | undefined> {
  const entry = await kv.get<QueuedMessage>(messageKey(id));
  return entry.value ?? undefined;
}

/**
 * Streams the record's header prefix, then the body chunks of `id` in order,
 * reading one chunk per pull.
 */
export function kvBodyStream(kv: Deno.Kv, id: string): ReadableStream<Uint8Array> {
  let chunks: number | undefined;
  let index = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (chunks === undefined) {
        const message = await readMessage(kv, id);
        if (!message) throw new SpoolError(`Cannot read message "${id}": not found`);
        chunks = message.chunks;
        if (message.headerPrefix) {
          return controller.enqueue(new TextEncoder().encode(message.headerPrefix));
        }
      }
      if (index >= chunks) return controller.close();
      const entry = await kv.get<Uint8Array>(bodyKey(id, index));
      if (!(entry.value instanceof Uint8Array)) {
        throw new SpoolError(`Cannot read message "${id}": chunk ${index} is missing`);
      }
      index++;
      controller.enqueue(entry.value);
    },
  }, { highWaterMark: 0 });
}

/** One page of records in id order, starting after `page.cursor`. */
export async function listKvMessages(
  kv: Deno.Kv,
  query: { filter: ListFilter; page?: ListPage; now: number },
): Promise<ListResult> {
  const collector = new PageCollector(query.filter, query.now, pageLimit(query.page));
  const cursor = query.page?.cursor;
  const selector: Deno.KvListSelector = cursor === undefined
    ? { prefix: MESSAGE_PREFIX }
    : { prefix: MESSAGE_PREFIX, start: messageKey(cursor) };
  for await (const entry of kv.list<QueuedMessage>(selector, { batchSize: SCAN_BATCH_SIZE })) {
    if (entry.value.id === cursor) continue;
    if (!collector.offer(entry.value)) break;
  }
  return collector.result();
}

/** Aggregates over every record (a full scan). */
export async function collectKvStats(kv: Deno.Kv): Promise<QueueStats> {
  const stats = emptyStats();
  const entries = kv.list<QueuedMessage>({ prefix: MESSAGE_PREFIX }, {
    batchSize: SCAN_BATCH_SIZE,
  });
  for await (const entry of entries) addToStats(stats, entry.value);
  return stats;
}

/**
 * Queued records whose due entry is at or before `now`: the most urgent band first, earliest
 * first within a band, at most `limit` from each band.
 */
export async function dueKvMessages(
  kv: Deno.Kv,
  now: number,
  limit: number,
): Promise<QueuedMessage[]> {
  if (limit <= 0) return [];
  const bands = await Promise.all(BANDS.map(async (band) => {
    const ids: string[] = [];
    const entries = kv.list(dueRange(band, now), {
      limit,
      batchSize: Math.min(limit, SCAN_BATCH_SIZE),
    });
    for await (const entry of entries) ids.push(entry.key[3] as string);
    return ids;
  }));
  const ids = bands.flat();
  const messages: QueuedMessage[] = [];
  for (let start = 0; start < ids.length; start += GET_MANY_MAX) {
    const keys = ids.slice(start, start + GET_MANY_MAX).map(messageKey);
    for (const entry of await kv.getMany<QueuedMessage[]>(keys)) {
      if (entry.value?.state === "queued") messages.push(entry.value);
    }
  }
  return messages;
}

/** The earliest `nextAttemptAt` in the due index, or `undefined` if nothing is queued. */
export async function nextKvDueAt(kv: Deno.Kv): Promise<number | undefined> {
  const firsts = await Promise.all(BANDS.map(async (band) => {
    for await (const entry of kv.list({ prefix: ["due", band] }, { limit: 1 })) {
      return entry.key[2] as number;
    }
    return undefined;
  }));
  const times = firsts.filter((at): at is number => at !== undefined);
  return times.length === 0 ? undefined : Math.min(...times);
}
