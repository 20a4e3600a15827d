/**
 * Load that proves durability: message bodies whose every byte derives from a token, and the
 * check that a queue holds every acknowledged message whole (crash and shutdown tests).
 */
import assert from "node:assert/strict";
import type { QueueStore } from "../../lib/queue/mod.ts";

/** A body of about `size` bytes whose every byte derives from `token`, so a damaged copy is detected. */
export function bodyFor(token: string, size: number): string {
  const line = `${token} ${"abcdefghijklmnopqrstuvwxyz0123456789".repeat(2)}\r\n`;
  let body = `Subject: ${token}\r\n\r\n`;
  while (body.length < size) body += line;
  return body + `END ${token}`;
}

/**
 * Asserts that every acknowledged message (queue id → token) is in `queue` with its body
 * intact, and that every message there is complete: a {@linkcode bodyFor} body of a token
 * shaped `w<worker>m<n>`. Returns how many messages `queue` holds.
 */
export async function assertQueueHolds(
  queue: QueueStore,
  acked: ReadonlyMap<string, string>,
): Promise<number> {
  for (const [id, token] of acked) {
    assert.ok(await queue.get(id), `acknowledged message ${id} is present`);
    const body = await new Response(queue.readBody(id)).text();
    assert.ok(body.endsWith(`END ${token}\r\n`), `body of ${id} is intact`);
  }
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await queue.list(undefined, { cursor, limit: 200 });
    for (const message of page.messages) {
      const body = await new Response(queue.readBody(message.id)).text();
      assert.equal(new TextEncoder().encode(body).length, message.size);
      assert.match(body, /END w\d+m\d+\r\n$/, `message ${message.id} is complete`);
      count++;
    }
    cursor = page.cursor;
  } while (cursor);
  return count;
}
