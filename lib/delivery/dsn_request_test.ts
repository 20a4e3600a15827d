import assert from "node:assert/strict";
import { openMemoryQueue, type RecipientState } from "../queue/mod.ts";
import { envelope, ManualClock, spoolMessage } from "../queue/testing.ts";
import { BounceSender, type QueuedBounce } from "./bounce.ts";
import { delayWarningFor } from "./delay_warning.ts";
import { notifies, returnsFullMessage, transactionDsn } from "./dsn_request.ts";

const HOUR = 3_600_000;
const BODY = "Subject: hi\r\nFrom: alice@example.test\r\n\r\nThe body text\r\n";
const SENT = { code: 250, enhanced: "2.0.0", text: "Ok: queued as X1", at: 1000 };
const REFUSED = { code: 550, enhanced: "5.1.1", text: "No such user", at: 1000 };

Deno.test("notifies() applies RFC 3461 NOTIFY: default failure and delay, NEVER none", () => {
  assert.deepEqual(
    ["SUCCESS", "FAILURE", "DELAY"].map((c) => notifies({}, c as "SUCCESS")),
    [false, true, true],
  );
  assert.equal(notifies({ notify: ["NEVER"] }, "FAILURE"), false);
  assert.equal(notifies({ notify: ["NEVER"] }, "DELAY"), false);
  assert.equal(notifies({ notify: ["SUCCESS"] }, "FAILURE"), false);
  assert.equal(notifies({ notify: ["SUCCESS", "DELAY"] }, "DELAY"), true);
});

Deno.test("returnsFullMessage() only for RET=FULL failure reports up to the size limit", () => {
  assert.equal(returnsFullMessage({ dsn: { ret: "FULL" }, size: 10 }, true), true);
  assert.equal(returnsFullMessage({ dsn: { ret: "FULL" }, size: 10 }, false), false);
  assert.equal(returnsFullMessage({ dsn: { ret: "HDRS" }, size: 10 }, true), false);
  assert.equal(returnsFullMessage({ size: 10 }, true), false);
  assert.equal(returnsFullMessage({ dsn: { ret: "FULL" }, size: 11 * 1024 * 1024 }, true), false);
});

Deno.test("transactionDsn() passes RET, ENVID, NOTIFY and ORCPT on, nothing when none given", () => {
  const message = {
    dsn: { ret: "HDRS" as const, envid: "E1" },
    recipients: [
      { address: "a@x.example", notify: ["SUCCESS" as const], orcpt: "rfc822;a@x.example" },
      { address: "b@x.example" },
    ],
  };
  assert.deepEqual(transactionDsn(message, ["b@x.example", "a@x.example"]), {
    ret: "HDRS",
    envid: "E1",
    recipients: [{}, { notify: ["SUCCESS"], orcpt: "rfc822;a@x.example" }],
  });
  assert.equal(
    transactionDsn({ recipients: [{ address: "b@x.example" }] }, ["b@x.example"]),
    undefined,
  );
});

Deno.test("delayWarningFor() lists only recipients whose NOTIFY includes DELAY or is absent", () => {
  const recipients: RecipientState[] = [
    { address: "a@x.example", status: "deferred", attempts: 2 },
    { address: "b@x.example", status: "deferred", attempts: 2, notify: ["NEVER"] },
    { address: "c@x.example", status: "deferred", attempts: 2, notify: ["FAILURE"] },
    { address: "d@x.example", status: "deferred", attempts: 2, notify: ["DELAY"] },
  ];
  const message = { reversePath: "s@example.test", createdAt: 0, expiresAt: 100 * HOUR };
  const due = delayWarningFor({ message, recipients, now: 5 * HOUR, warnAfterMs: 4 * HOUR });
  assert.deepEqual(due.map((r) => r.address), ["a@x.example", "d@x.example"]);
});

/** A queued message from alice with DSN parameters, and a BounceSender on the same queue. */
async function fixture(dsn?: { ret?: "FULL" | "HDRS"; envid?: string }, body = BODY) {
  const clock = new ManualClock();
  const queue = openMemoryQueue({ clock });
  const id = await spoolMessage(queue, new TextEncoder().encode(body), {
    envelope: {
      ...envelope({ reversePath: "alice@example.test", recipients: ["bob@example.org"] }),
      ...(dsn ? { dsn } : {}),
    },
  });
  const queued: QueuedBounce[] = [];
  const bounces = new BounceSender(queue, {
    hostname: "mx.empath.test",
    now: () => clock.now(),
    onQueued: (bounce) => queued.push(bounce),
  });
  const message = (await queue.get(id))!;
  const text = async (index = 0) => await new Response(queue.readBody(queued[index].id)).text();
  return { queue, bounces, queued, message, text };
}

Deno.test("BounceSender.reportDelivered() sends a delivered DSN with Original-Envelope-Id and Original-Recipient", async () => {
  const f = await fixture({ envid: "QQ314159" });
  await using _ = f.queue;
  const bob: RecipientState = {
    address: "bob@example.org",
    status: "delivered",
    attempts: 1,
    lastReply: SENT,
    notify: ["SUCCESS", "FAILURE"],
    orcpt: "rfc822;bob@example.org",
  };
  await f.bounces.reportDelivered(f.message, [{ recipient: bob, action: "delivered" }]);
  assert.equal(f.queued.length, 1);
  assert.equal(f.queued[0].action, "delivered");
  const body = await f.text();
  assert.match(body, /\r\nSubject: Successful Mail Delivery Report\r\n/);
  assert.match(
    body,
    /\r\nOriginal-Envelope-Id: QQ314159\r\nReporting-MTA: dns; mx\.empath\.test\r\n/,
  );
  assert.match(
    body,
    /\r\nOriginal-Recipient: rfc822; bob@example\.org\r\nFinal-Recipient: rfc822; bob@example\.org\r\nAction: delivered\r\nStatus: 2\.0\.0\r\n/,
  );
  assert.match(body, /Content-Type: text\/rfc822-headers\r\n\r\nSubject: hi\r\n/);
  assert.doesNotMatch(body, /The body text/, "success reports carry the headers only");
  const dsn = (await f.queue.get(f.queued[0].id))!;
  assert.equal(dsn.reversePath, "", "with the null reverse path");
});

Deno.test("BounceSender.reportDelivered() reports relayed, and nothing without NOTIFY=SUCCESS", async () => {
  const f = await fixture();
  await using _ = f.queue;
  const base: RecipientState = { address: "bob@example.org", status: "delivered", attempts: 1 };
  await f.bounces.reportDelivered(f.message, [
    { recipient: { ...base, lastReply: SENT }, action: "relayed" },
  ]);
  await f.bounces.reportDelivered(f.message, [
    { recipient: { ...base, notify: ["FAILURE"] }, action: "delivered" },
  ]);
  assert.equal(f.queued.length, 0, "no NOTIFY or no SUCCESS: no success report");
  await f.bounces.reportDelivered(f.message, [
    { recipient: { ...base, notify: ["SUCCESS"], lastReply: SENT }, action: "relayed" },
  ]);
  assert.equal(f.queued[0].action, "relayed");
  const body = await f.text();
  assert.match(body, /\r\nAction: relayed\r\nStatus: 2\.0\.0\r\n/);
  assert.match(body, /Relayed to a system that sends no delivery notices:/);
  assert.doesNotMatch(body, /Original-Envelope-Id/);
});

Deno.test("BounceSender.bounce() skips recipients whose NOTIFY lacks FAILURE", async () => {
  const f = await fixture();
  await using _ = f.queue;
  const failed = (notify?: RecipientState["notify"]): RecipientState => ({
    address: "bob@example.org",
    status: "failed",
    attempts: 1,
    lastReply: REFUSED,
    ...(notify ? { notify } : {}),
  });
  await f.bounces.bounce(f.message, [failed(["NEVER"])]);
  await f.bounces.bounce(f.message, [failed(["SUCCESS", "DELAY"])]);
  assert.equal(f.queued.length, 0);
  assert.equal(
    await f.bounces.bounceUndelivered(
      { ...f.message, recipients: [{ ...failed(["NEVER"]), status: "deferred" }] },
      "Deleted",
    ),
    false,
  );
  await f.bounces.bounce(f.message, [failed(["FAILURE"])]);
  assert.equal(f.queued.length, 1);
});

Deno.test("BounceSender.bounce() returns the whole message for RET=FULL, headers for RET=HDRS", async () => {
  const refused: RecipientState = {
    address: "bob@example.org",
    status: "failed",
    attempts: 1,
    lastReply: REFUSED,
    orcpt: "utf-8;bøb@example.org",
  };
  const full = await fixture({ ret: "FULL", envid: "E+1" }, "Subject: hé\r\n\r\nBody ü\r\n");
  await using _full = full.queue;
  await full.bounces.bounce(full.message, [refused]);
  const body = await full.text();
  assert.match(
    body,
    /Content-Type: message\/rfc822\r\nContent-Transfer-Encoding: 8bit\r\n\r\nSubject: hé\r\n\r\nBody ü\r\n/,
  );
  assert.match(body, /\r\nOriginal-Envelope-Id: E\+1\r\n/);
  assert.match(body, /\r\nOriginal-Recipient: utf-8; b\\x\{F8\}b@example\.org\r\n/);
  const bounce = (await full.queue.get(full.queued[0].id))!;
  assert.equal(bounce.mailParams?.body, "8BITMIME", "an 8-bit report is relayed as 8BITMIME");

  const hdrs = await fixture({ ret: "HDRS" });
  await using _hdrs = hdrs.queue;
  await hdrs.bounces.bounce(hdrs.message, [refused]);
  const headersOnly = await hdrs.text();
  assert.match(headersOnly, /Content-Type: text\/rfc822-headers\r\n/);
  assert.doesNotMatch(headersOnly, /The body text/);
});

Deno.test("BounceSender.reportDelivered() never reports to the null sender", async () => {
  const clock = new ManualClock();
  await using queue = openMemoryQueue({ clock });
  const id = await spoolMessage(queue, new TextEncoder().encode(BODY), {
    envelope: envelope({ reversePath: "", recipients: ["bob@example.org"] }),
  });
  const bounces = new BounceSender(queue, { hostname: "mx.empath.test", now: () => clock.now() });
  const bob: RecipientState = {
    address: "bob@example.org",
    status: "delivered",
    attempts: 1,
    notify: ["SUCCESS"],
  };
  await bounces.reportDelivered((await queue.get(id))!, [{ recipient: bob, action: "delivered" }]);
  assert.equal(await queue.count(), 1, "only the original");
});
