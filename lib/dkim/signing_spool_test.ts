import assert from "node:assert/strict";
import { openMemoryQueue, type QueueStore, SpoolError } from "../queue/mod.ts";
import { DkimSigner, type MessageSigner } from "./signer.ts";
import { signingSpool } from "./signing_spool.ts";
import { makeTestKeys, verifyWithMailauth } from "./testing.ts";

const encoder = new TextEncoder();
const ENVELOPE = {
  reversePath: "alice@example.test",
  recipients: ["bob@example.org"],
  receivedFrom: { ip: "127.0.0.1", helo: "client.example.test" },
};

function queue(): QueueStore {
  return openMemoryQueue({ clock: { now: () => 1_700_000_000_000 } });
}

async function readText(store: QueueStore, id: string): Promise<string> {
  return await new Response(store.readBody(id)).text();
}

Deno.test("signingSpool() stores a message that begins with its signature, size included", async () => {
  await using keys = await makeTestKeys([{ algorithm: "ed25519" }]);
  await using store = queue();
  const signer = new DkimSigner(keys.keys).start()!;
  const spool = signingSpool(store.createSpool(), signer);
  const message = "Received: from client\r\nFrom: alice@example.test\r\nSubject: hi\r\n\r\n" +
    "x".repeat(150_000) + "\r\n";
  const bytes = encoder.encode(message);
  for (let offset = 0; offset < bytes.length; offset += 4096) {
    await spool.write(bytes.subarray(offset, offset + 4096));
  }
  const committed = await spool.commit(ENVELOPE);
  const stored = await readText(store, committed.id);
  assert.match(stored, /^DKIM-Signature: v=1; a=ed25519-sha256; /);
  assert.ok(stored.endsWith(message));
  assert.equal(committed.size, encoder.encode(stored).length);
  assert.equal(committed.headerPrefix, stored.slice(0, stored.length - message.length));
  const verdicts = await verifyWithMailauth(stored, keys.records);
  assert.deepEqual(verdicts.map((v) => v.result), ["pass"]);
});

Deno.test("signingSpool() commits a message it cannot sign unchanged", async () => {
  await using keys = await makeTestKeys([{ algorithm: "ed25519" }]);
  await using store = queue();
  const spool = signingSpool(store.createSpool(), new DkimSigner(keys.keys).start()!);
  const message = "From: someone@other.test\r\n\r\nhello\r\n";
  await spool.write(encoder.encode(message));
  const committed = await spool.commit(ENVELOPE);
  assert.equal(committed.headerPrefix, undefined);
  assert.equal(await readText(store, committed.id), message);
  assert.equal(committed.size, message.length);
});

Deno.test("signingSpool() fails the commit with SpoolError and keeps nothing when signing fails", async () => {
  await using store = queue();
  const failing = {
    update() {},
    finish: () => Promise.reject(new DOMException("Key unusable", "OperationError")),
  } as unknown as MessageSigner;
  const spool = signingSpool(store.createSpool(), failing);
  await spool.write(encoder.encode("From: a@example.test\r\n\r\nx\r\n"));
  await assert.rejects(() => spool.commit(ENVELOPE), SpoolError);
  assert.equal(await store.count(), 0);
  assert.equal(await store.cleanupOrphans(), 0);
});
