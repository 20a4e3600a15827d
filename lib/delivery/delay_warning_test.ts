import assert from "node:assert/strict";
import { openMemoryQueue, type RecipientState } from "../queue/mod.ts";
import { envelope, ManualClock, spoolMessage } from "../queue/testing.ts";
import { BounceSender, type QueuedBounce } from "./bounce.ts";
import { delayedRecipient, delayWarningFor } from "./delay_warning.ts";
import { formatDate } from "./_dsn_report.ts";

const HOUR = 3_600_000;
const MESSAGE = { reversePath: "alice@example.test", createdAt: 0, expiresAt: 120 * HOUR };
const REPLY = { code: 451, enhanced: "4.7.1", text: "Greylisted", at: 3 * HOUR };
const RECIPIENTS: RecipientState[] = [
  { address: "bob@example.org", status: "deferred", attempts: 3, lastReply: REPLY },
  { address: "carol@example.org", status: "delivered", attempts: 1 },
  { address: "dave@example.org", status: "failed", attempts: 1 },
  { address: "erin@example.net", status: "pending", attempts: 0 },
];

function due(
  message: Partial<Parameters<typeof delayWarningFor>[0]["message"]> = {},
  now = 4 * HOUR,
  warnAfterMs = 4 * HOUR,
): string[] {
  return delayWarningFor({
    message: { ...MESSAGE, ...message },
    recipients: RECIPIENTS,
    now,
    warnAfterMs,
  })
    .map((recipient) => recipient.address);
}

Deno.test("delayWarningFor() lists only the recipients still deferred once delay_warning has passed", () => {
  assert.deepEqual(due({}, 4 * HOUR - 1), [], "not before delay_warning");
  assert.deepEqual(due({}, 4 * HOUR), ["bob@example.org"]);
  assert.deepEqual(due({}, 100 * HOUR), ["bob@example.org"]);
});

Deno.test("delayWarningFor() warns once: never again when delayWarnedAt is set", () => {
  assert.deepEqual(due({ delayWarnedAt: 4 * HOUR }, 5 * HOUR), []);
  assert.deepEqual(due({ delayWarnedAt: 0 }, 100 * HOUR), []);
});

Deno.test("delayWarningFor() never warns the null sender, a MAILER-DAEMON, nor about an expired message", () => {
  assert.deepEqual(due({ reversePath: "" }), [], "a bounce or a warning is never warned about");
  assert.deepEqual(due({ reversePath: "MAILER-DAEMON@mx.example.org" }), []);
  assert.deepEqual(due({}, 120 * HOUR), [], "expired: it gets a failure bounce instead");
  assert.deepEqual(due({}, 4 * HOUR, 0), [], "delay_warning = 0 turns warnings off");
});

Deno.test("delayedRecipient() takes the 4.x.x status of the last reply, 4.0.0 otherwise", () => {
  const [bob] = RECIPIENTS;
  assert.deepEqual(delayedRecipient(bob, 120 * HOUR), {
    address: "bob@example.org",
    action: "delayed",
    status: "4.7.1",
    diagnostic: { code: 451, enhanced: "4.7.1", lines: ["Greylisted"] },
    lastAttemptAt: 3 * HOUR,
    willRetryUntil: 120 * HOUR,
  });
  const odd = { ...bob, lastReply: { ...REPLY, enhanced: "5.7.1" } };
  assert.equal(delayedRecipient(odd, 1).status, "4.0.0");
  const bare = { ...bob, lastReply: { code: 421, text: "Busy", at: 1 } };
  assert.equal(delayedRecipient(bare, 1).status, "4.0.0");
  const none = delayedRecipient({ address: "x@example.org", status: "deferred", attempts: 1 }, 1);
  assert.equal(none.status, "4.0.0");
  assert.equal(none.diagnostic, undefined);
});

Deno.test("BounceSender.warnDelayed() queues one delayed DSN with the null reverse path to the sender", async () => {
  const clock = new ManualClock();
  await using queue = openMemoryQueue({ clock });
  const id = await spoolMessage(queue, new TextEncoder().encode("Subject: hi\r\n\r\nbody\r\n"), {
    envelope: envelope({ reversePath: "alice@example.test", recipients: ["bob@example.org"] }),
  });
  const queued: QueuedBounce[] = [];
  const bounces = new BounceSender(queue, {
    hostname: "mx.empath.test",
    now: () => clock.now(),
    onQueued: (bounce) => queued.push(bounce),
  });
  clock.advance(4 * HOUR);
  const message = (await queue.get(id))!;
  const bob = { ...RECIPIENTS[0], lastReply: { ...REPLY, at: clock.now() } };
  await bounces.warnDelayed(message, [bob]);

  assert.equal(queued.length, 1);
  assert.deepEqual(
    { ...queued[0], id: "" },
    {
      id: "",
      original: id,
      sender: "alice@example.test",
      recipients: ["bob@example.org"],
      action: "delayed",
    },
  );
  const dsn = (await queue.get(queued[0].id))!;
  assert.equal(dsn.reversePath, "", "a DSN is itself a message with the null reverse path");
  assert.deepEqual(dsn.recipients.map((r) => r.address), ["alice@example.test"]);
  const body = await new Response(queue.readBody(dsn.id)).text();
  assert.match(body, /\r\nAction: delayed\r\nStatus: 4\.7\.1\r\n/);
  assert.ok(body.includes(`\r\nWill-Retry-Until: ${formatDate(message.expiresAt)}\r\n`));
  assert.match(body, /The system will keep trying until /);
  assert.match(body, /No action is needed on your part\./);
  assert.match(body, /\r\nSubject: hi\r\n/, "the original headers are attached");
});

Deno.test("BounceSender.warnDelayed() sends nothing for the null sender", async () => {
  const clock = new ManualClock();
  await using queue = openMemoryQueue({ clock });
  const id = await spoolMessage(queue, new TextEncoder().encode("Subject: x\r\n\r\nx\r\n"), {
    envelope: envelope({ reversePath: "", recipients: ["bob@example.org"] }),
  });
  const bounces = new BounceSender(queue, { hostname: "mx.empath.test", now: () => clock.now() });
  await bounces.warnDelayed((await queue.get(id))!, [RECIPIENTS[0]]);
  assert.equal(await queue.count(), 1, "only the original");
});
