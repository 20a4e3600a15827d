import assert from "node:assert/strict";
import fc from "fast-check";
import {
  buildQueuedMessage,
  envelopeFits,
  MAX_RECORD_BYTES,
  prepareUpdate,
  recordBytes,
  serializedSizeBound,
} from "./_record.ts";
import { RecordTooLargeError, SpoolError } from "./spool_error.ts";
import type { EnvelopeInit, QueuedMessage } from "./types.ts";

function addresses(count: number, length: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const local = `${i}`.padEnd(Math.min(64, length - 6), "l");
    return `${local}@${"d".repeat(length - local.length - 1)}`;
  });
}

function build(recipients: string[]): QueuedMessage {
  const envelope: EnvelopeInit = {
    reversePath: "s".repeat(64) + "@" + "e".repeat(189),
    recipients,
    receivedFrom: { ip: "2001:db8::1", helo: "h".repeat(255), authUser: "u".repeat(64) },
    mailParams: { body: "8BITMIME", smtputf8: true },
    traceContext: { traceparent: "00-" + "a".repeat(32) + "-" + "b".repeat(16) + "-01" },
  };
  return buildQueuedMessage({
    id: "0".repeat(26),
    envelope,
    size: 1,
    chunks: 1,
    now: 1,
    maxAgeMs: 1,
  });
}

/** The largest recipient count commit accepts for addresses of `length` octets. */
function maxRecipients(length: number): number {
  let low = 1;
  let high = 2000;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    try {
      build(addresses(middle, length));
      low = middle;
    } catch {
      high = middle - 1;
    }
  }
  return low;
}

Deno.test("serializedSizeBound() is never below the V8 serialized size", () => {
  fc.assert(
    fc.property(fc.jsonValue(), fc.string({ unit: "binary" }), (value, text) => {
      assert.ok(serializedSizeBound(value) >= recordBytes(value));
      assert.ok(serializedSizeBound({ text, value }) >= recordBytes({ text, value }));
    }),
    { numRuns: 300 },
  );
});

Deno.test("buildQueuedMessage() leaves room for a stored reply per recipient and a delay warning", async () => {
  using kv = await Deno.openKv(":memory:");
  // Every other field of the envelope is at its maximum size here.
  for (const [length, expected] of [[30, 150], [254, 95]]) {
    const limit = maxRecipients(length);
    assert.ok(limit >= expected, `only ${limit} recipients of ${length} octets fit`);
    assert.throws(() => build(addresses(limit + 1, length)), SpoolError);
    const message = build(addresses(limit, length));
    message.recipients = message.recipients.map((recipient) => ({
      ...recipient,
      status: "deferred",
      attempts: 2 ** 31,
      lastReply: { code: 451, enhanced: "4.7.100", text: "\u0100".repeat(5000), at: 0.5 },
      nextAttemptAt: 0.5,
    }));
    message.delayWarnedAt = 2 ** 47 + 0.5;
    const updated = prepareUpdate(message);
    assert.ok(recordBytes(updated) <= MAX_RECORD_BYTES);
    await kv.set(["msg", length], updated);
    console.log(`${length}-octet addresses: at most ${limit} recipients`);
  }
});

Deno.test("prepareUpdate() truncates reply texts and increments the revision", () => {
  const message = build(["a@example.org", "b@example.org"]);
  message.recipients[0].lastReply = { code: 550, text: "x".repeat(300), at: 1 };
  message.recipients[1].lastReply = { code: 550, text: "\u4e2d".repeat(300), at: 1 };
  const next = prepareUpdate(message);
  assert.equal(next.revision, 1);
  assert.equal(next.recipients[0].lastReply?.text.length, 200);
  assert.equal(next.recipients[1].lastReply?.text.length, 100);
  assert.equal(message.recipients[0].lastReply?.text.length, 300, "input left unchanged");
});

Deno.test("buildQueuedMessage() stores DSN fields only when given; older records have none", () => {
  const message = buildQueuedMessage({
    id: "1".repeat(26),
    envelope: {
      reversePath: "a@example.test",
      recipients: ["b@example.org", "c@example.org"],
      receivedFrom: { ip: "127.0.0.1", helo: "h" },
      dsn: { ret: "HDRS", envid: "E1" },
      recipientDsn: [{ notify: ["SUCCESS", "FAILURE"], orcpt: "rfc822;b@example.org" }],
    },
    size: 1,
    chunks: 1,
    now: 0,
    maxAgeMs: 1000,
  });
  assert.deepEqual(message.dsn, { ret: "HDRS", envid: "E1" });
  assert.deepEqual(message.recipients[0], {
    address: "b@example.org",
    status: "pending",
    attempts: 0,
    notify: ["SUCCESS", "FAILURE"],
    orcpt: "rfc822;b@example.org",
  });
  assert.deepEqual(message.recipients[1], {
    address: "c@example.org",
    status: "pending",
    attempts: 0,
  });
  assert.deepEqual(prepareUpdate(message).recipients, message.recipients, "updates keep them");
  const older = build(["b@example.org"]);
  assert.equal("dsn" in older || "notify" in older.recipients[0], false);
});

Deno.test("envelopeFits() refuses before buildQueuedMessage() would, keeping room for the end of DATA", () => {
  for (const length of [30, 254]) {
    const limit = maxRecipients(length);
    const envelope = (count: number): EnvelopeInit => ({
      reversePath: "s".repeat(64) + "@" + "e".repeat(189),
      recipients: addresses(count, length),
      receivedFrom: { ip: "2001:db8::1", helo: "h".repeat(255), authUser: "u".repeat(64) },
    });
    assert.equal(envelopeFits(envelope(limit + 1)), false);
    let fits = 0;
    while (envelopeFits(envelope(fits + 1))) fits++;
    assert.ok(fits < limit, `${fits} fit at RCPT time, ${limit} at commit`);
    assert.ok(fits > limit * 0.7, `${fits} of ${limit} still fit at RCPT time`);
  }
  assert.throws(() => build(addresses(maxRecipients(30) + 1, 30)), RecordTooLargeError);
});
