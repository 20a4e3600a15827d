import assert from "node:assert/strict";
import { patternBytes, readAll, spoolMessage } from "../queue/testing.ts";
import { openFixture, READ_TOKEN } from "./testing.ts";

Deno.test("GET /v1/queue pages through messages with a cursor", async () => {
  await using fixture = await openFixture();
  const ids = [];
  for (let i = 0; i < 5; i++) ids.push(await fixture.spool());
  const seen: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const query = cursor === undefined ? "" : `&cursor=${encodeURIComponent(cursor)}`;
    const response = await fixture.call(`/v1/queue?limit=2${query}`, { token: READ_TOKEN });
    assert.equal(response.status, 200);
    const page = await response.json();
    assert.ok(page.messages.length <= 2);
    seen.push(...page.messages.map((message: { id: string }) => message.id));
    cursor = page.cursor;
    pages++;
  } while (cursor !== undefined);
  assert.deepEqual(seen, ids.sort());
  assert.ok(pages >= 3);
});

Deno.test("GET /v1/queue filters by state, domain, sender, recipient and min_age", async () => {
  await using fixture = await openFixture();
  const old = await fixture.spool(undefined, { recipients: ["a@example.org"] });
  fixture.clock.advance(60_000);
  const recent = await fixture.spool(undefined, {
    reversePath: "other@example.test",
    recipients: ["b@example.net"],
  });
  const list = async (query: string) => {
    const response = await fixture.call(`/v1/queue?${query}`);
    assert.equal(response.status, 200, query);
    return (await response.json()).messages.map((message: { id: string }) => message.id);
  };
  assert.deepEqual(await list("domain=EXAMPLE.NET"), [recent]);
  assert.deepEqual(await list("sender=other@example.test"), [recent]);
  assert.deepEqual(await list("recipient=a@example.org"), [old]);
  assert.deepEqual(await list("min_age=30s"), [old]);
  assert.deepEqual(await list("min_age=30000"), [old]);
  assert.deepEqual(await list("state=held"), []);
  assert.deepEqual(await list("state=queued"), [old, recent]);
});

Deno.test("GET /v1/queue/stats returns the queue aggregates", async () => {
  await using fixture = await openFixture();
  await fixture.spool();
  const response = await fixture.call("/v1/queue/stats", { token: READ_TOKEN });
  const stats = await response.json();
  assert.equal(stats.total, 1);
  assert.deepEqual(stats.byState, { queued: 1 });
});

Deno.test("GET /v1/queue/:id returns the envelope and recipient states", async () => {
  await using fixture = await openFixture();
  const id = await fixture.spool(undefined, { recipients: ["a@example.org", "b@example.org"] });
  const response = await fixture.call(`/v1/queue/${id}`, { token: READ_TOKEN });
  assert.equal(response.status, 200);
  const message = await response.json();
  assert.equal(message.id, id);
  assert.equal(message.reversePath, "sender@example.test");
  assert.deepEqual(
    message.recipients.map((recipient: { address: string; status: string }) => [
      recipient.address,
      recipient.status,
    ]),
    [["a@example.org", "pending"], ["b@example.org", "pending"]],
  );
});

Deno.test("GET /v1/queue/:id answers 404 for an unknown or malformed id", async () => {
  await using fixture = await openFixture();
  const id = await fixture.spool();
  await fixture.queue.delete(id);
  for (const path of [`/v1/queue/${id}`, "/v1/queue/nope", `/v1/queue/${id}/body`]) {
    const response = await fixture.call(path);
    assert.equal(response.status, 404, path);
    assert.equal((await response.json()).error.code, "not_found");
  }
});

Deno.test("GET /v1/queue/:id/body streams the exact bytes as message/rfc822", async () => {
  await using fixture = await openFixture();
  const body = patternBytes(7, 300_000);
  const id = await spoolMessage(fixture.queue, body, { pieces: [65_536, 1000] });
  const response = await fixture.call(`/v1/queue/${id}/body`, { token: READ_TOKEN });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("Content-Type"), "message/rfc822");
  assert.equal(response.headers.get("Content-Length"), String(body.byteLength));
  assert.deepEqual(new Uint8Array(await response.arrayBuffer()), body);
});

Deno.test("DELETE /v1/queue/:id removes the message, then answers 404", async () => {
  await using fixture = await openFixture();
  const id = await fixture.spool();
  const response = await fixture.call(`/v1/queue/${id}`, { method: "DELETE" });
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { id, deleted: true, bounced: false });
  assert.equal(await fixture.queue.get(id), undefined);
  assert.equal((await fixture.call(`/v1/queue/${id}`, { method: "DELETE" })).status, 404);
});

Deno.test("DELETE /v1/queue/:id?bounce=true tells the sender about the undelivered recipients only", async () => {
  await using fixture = await openFixture();
  const id = await fixture.spool(undefined, {
    recipients: ["done@example.org", "waiting@example.org"],
  });
  const message = (await fixture.queue.get(id))!;
  const [done, waiting] = message.recipients;
  assert.ok(
    await fixture.queue.update({
      ...message,
      recipients: [{ ...done, status: "delivered" }, { ...waiting, status: "deferred" }],
    }),
  );
  const response = await fixture.call(`/v1/queue/${id}?bounce=true`, { method: "DELETE" });
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { id, deleted: true, bounced: true });
  assert.equal(await fixture.queue.get(id), undefined);

  const { messages } = await fixture.queue.list({}, { limit: 10 });
  assert.equal(messages.length, 1);
  const [bounce] = messages;
  assert.equal(bounce.reversePath, "");
  assert.deepEqual(bounce.recipients.map((r) => r.address), ["sender@example.test"]);
  const text = new TextDecoder().decode(await readAll(fixture.queue.readBody(bounce.id)));
  assert.match(text, /Final-Recipient: rfc822; ?waiting@example\.org/);
  assert.match(text, /Status: 5\.0\.0/);
  assert.match(text, /Deleted from the queue by the postmaster/);
  assert.doesNotMatch(text, /Final-Recipient: rfc822; ?done@example\.org/);
});

Deno.test("DELETE /v1/queue/:id?bounce=true sends nothing for a null sender, refuses a leased message", async () => {
  await using fixture = await openFixture();
  const nullSender = await fixture.spool(undefined, { reversePath: "" });
  let response = await fixture.call(`/v1/queue/${nullSender}?bounce=true`, { method: "DELETE" });
  assert.deepEqual(await response.json(), { id: nullSender, deleted: true, bounced: false });
  assert.equal(await fixture.queue.count(), 0);

  const leased = await fixture.spool();
  const message = (await fixture.queue.get(leased))!;
  const until = fixture.clock.now() + 60_000;
  assert.ok(await fixture.queue.update({ ...message, lease: { owner: "w1", until } }));
  response = await fixture.call(`/v1/queue/${leased}?bounce=true`, { method: "DELETE" });
  assert.equal(response.status, 409);
  assert.equal((await fixture.queue.get(leased))?.state, "queued");
  assert.equal(await fixture.queue.count(), 1);

  response = await fixture.call(`/v1/queue/${leased}?bounce=maybe`, { method: "DELETE" });
  assert.equal(response.status, 400);
});

Deno.test("POST /v1/queue/delete with bounce counts the bounces it queued", async () => {
  await using fixture = await openFixture();
  await fixture.spool();
  await fixture.spool();
  await fixture.spool(undefined, { reversePath: "" });
  const response = await fixture.call("/v1/queue/delete", {
    method: "POST",
    json: { domain: "example.org", bounce: true },
  });
  assert.equal(response.status, 200);
  const result = await response.json();
  assert.equal(result.changed, 3);
  assert.equal(result.bounced, 2);
  const { messages } = await fixture.queue.list({}, { limit: 10 });
  assert.deepEqual(messages.map((m) => m.reversePath), ["", ""]);
  assert.ok(fixture.wakes() >= 1);
});

Deno.test("POST /v1/queue/:id/hold takes the message off due(); release puts it back", async () => {
  await using fixture = await openFixture();
  const id = await fixture.spool();
  const now = fixture.clock.now();
  assert.deepEqual((await fixture.queue.due(now, 10)).map((message) => message.id), [id]);

  const held = await fixture.call(`/v1/queue/${id}/hold`, { method: "POST" });
  assert.equal(held.status, 200);
  const heldBody = await held.json();
  assert.equal(heldBody.changed, true);
  assert.equal(heldBody.message.state, "held");
  assert.equal((await fixture.queue.get(id))?.state, "held");
  assert.deepEqual(await fixture.queue.due(now, 10), []);
  const again = await (await fixture.call(`/v1/queue/${id}/hold`, { method: "POST" })).json();
  assert.equal(again.changed, false);
  assert.equal(fixture.wakes(), 0);

  const released = await fixture.call(`/v1/queue/${id}/release`, { method: "POST" });
  assert.equal(released.status, 200);
  assert.equal((await released.json()).message.state, "queued");
  assert.deepEqual((await fixture.queue.due(now, 10)).map((message) => message.id), [id]);
  assert.equal(fixture.wakes(), 1);
});

Deno.test("POST /v1/queue/:id/hold answers 409 while the message is leased", async () => {
  await using fixture = await openFixture();
  const id = await fixture.spool();
  const message = (await fixture.queue.get(id))!;
  const until = fixture.clock.now() + 60_000;
  assert.ok(await fixture.queue.update({ ...message, lease: { owner: "w1", until } }));
  const response = await fixture.call(`/v1/queue/${id}/hold`, { method: "POST" });
  assert.equal(response.status, 409);
  assert.equal((await response.json()).error.code, "conflict");
  assert.equal((await fixture.queue.get(id))?.state, "queued");
});

Deno.test("POST /v1/queue/:id/retry makes deferred recipients due now and wakes delivery", async () => {
  await using fixture = await openFixture();
  const id = await fixture.spool(undefined, { recipients: ["a@example.org", "b@example.org"] });
  const message = (await fixture.queue.get(id))!;
  const later = fixture.clock.now() + 3_600_000;
  fixture.clock.advance(1_000);
  const now = fixture.clock.now();
  assert.ok(
    await fixture.queue.update({
      ...message,
      nextAttemptAt: later,
      attempts: 1,
      recipients: [
        { address: "a@example.org", status: "deferred", attempts: 1, nextAttemptAt: later },
        { address: "b@example.org", status: "delivered", attempts: 1 },
      ],
    }),
  );
  assert.deepEqual(await fixture.queue.due(now, 10), []);
  const response = await fixture.call(`/v1/queue/${id}/retry`, { method: "POST" });
  assert.equal(response.status, 200);
  const stored = (await fixture.queue.get(id))!;
  assert.equal(stored.nextAttemptAt, now);
  assert.equal(stored.recipients[0].nextAttemptAt, now);
  assert.equal(stored.recipients[1].nextAttemptAt, undefined);
  assert.deepEqual((await fixture.queue.due(now, 10)).map((due) => due.id), [id]);
  assert.equal(fixture.wakes(), 1);
});

Deno.test("POST /v1/queue/:id/retry answers 409 for a held message", async () => {
  await using fixture = await openFixture();
  const id = await fixture.spool();
  await fixture.call(`/v1/queue/${id}/hold`, { method: "POST" });
  const response = await fixture.call(`/v1/queue/${id}/retry`, { method: "POST" });
  assert.equal(response.status, 409);
  assert.match((await response.json()).error.message, /held/);
});

Deno.test("POST /v1/queue/:id/hold retries when the record changes under it", async () => {
  await using fixture = await openFixture();
  const id = await fixture.spool();
  const update = fixture.queue.update.bind(fixture.queue);
  let conflicts = 2;
  fixture.queue.update = async (message) => {
    if (conflicts-- > 0) {
      const current = (await fixture.queue.get(message.id))!;
      await update({ ...current, priority: current.priority + 1 });
    }
    return update(message);
  };
  const response = await fixture.call(`/v1/queue/${id}/hold`, { method: "POST" });
  assert.equal(response.status, 200);
  const stored = (await fixture.queue.get(id))!;
  assert.equal(stored.state, "held");
  assert.equal(stored.priority, 5 + 2); // the default priority, changed twice under it
});

Deno.test("POST /v1/queue/hold with dry_run counts matches and changes nothing", async () => {
  await using fixture = await openFixture();
  const ids = [];
  for (let i = 0; i < 12; i++) ids.push(await fixture.spool());
  const other = await fixture.spool(undefined, { recipients: ["x@example.net"] });
  const response = await fixture.call("/v1/queue/hold", {
    method: "POST",
    json: { domain: "example.org", dry_run: true },
  });
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), {
    matched: 12,
    sample: ids.sort().slice(0, 10),
    applied: false,
    changed: 0,
  });
  const stats = await fixture.queue.stats();
  assert.deepEqual(stats.byState, { queued: 13 });
  assert.ok(await fixture.queue.get(other));
});

Deno.test("POST /v1/queue/hold, release, retry and delete act on every match", async () => {
  await using fixture = await openFixture();
  const org = [await fixture.spool(), await fixture.spool()];
  const net = await fixture.spool(undefined, { recipients: ["x@example.net"] });
  const bulk = async (action: string, json: unknown) => {
    const response = await fixture.call(`/v1/queue/${action}`, { method: "POST", json });
    assert.equal(response.status, 200, action);
    return await response.json();
  };
  assert.deepEqual(await bulk("hold", { domain: "example.org" }), {
    matched: 2,
    sample: org.sort(),
    applied: true,
    changed: 2,
  });
  assert.deepEqual((await fixture.queue.stats()).byState, { held: 2, queued: 1 });
  assert.equal((await bulk("retry", {})).changed, 1);
  assert.equal((await bulk("release", { state: "held" })).changed, 2);
  assert.equal(fixture.wakes(), 2);
  assert.equal((await bulk("delete", { domain: "example.org" })).changed, 2);
  assert.equal(await fixture.queue.count(), 1);
  assert.ok(await fixture.queue.get(net));
});
