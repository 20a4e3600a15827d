import assert from "node:assert/strict";
import { openFixture, READ_TOKEN } from "./testing.ts";

async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, pattern: RegExp) {
  const decoder = new TextDecoder();
  let text = "";
  while (!pattern.test(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  return text;
}

Deno.test("GET /v1/events streams matching events as Server-Sent Events", async () => {
  await using fixture = await openFixture();
  const id = await fixture.spool();
  const response = await fixture.call(`/v1/events?id=${id}`, { token: READ_TOKEN });
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /text\/event-stream/);
  const reader = response.body!.getReader();
  assert.match(await readUntil(reader, /event: ready/), /event: ready/);
  fixture.events.publish({ type: "deferred", id: "someone-else", at: 1, domain: "example.org" });
  const held = await fixture.call(`/v1/queue/${id}/hold`, { method: "POST" });
  assert.equal(held.status, 200);
  const text = await readUntil(reader, /event: held/);
  assert.doesNotMatch(text, /someone-else/);
  const data = /data: (.*)\n/.exec(text.slice(text.indexOf("event: held")))![1];
  assert.deepEqual({ ...JSON.parse(data), at: 0 }, { type: "held", id, at: 0 });
  await reader.cancel();
  // The subscription ends with the stream.
  for (let i = 0; i < 20 && fixture.events.subscribers > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.equal(fixture.events.subscribers, 0);
});

Deno.test("GET /v1/events requires a token and validates its filters", async () => {
  await using fixture = await openFixture();
  const anonymous = await fixture.call("/v1/events", { token: "" });
  assert.equal(anonymous.status, 401);
  const bad = await fixture.call("/v1/events?bogus=1", { token: READ_TOKEN });
  assert.equal(bad.status, 400);
});

Deno.test("GET /v1/events does not stream the audit-only fields of an event", async () => {
  await using fixture = await openFixture();
  const response = await fixture.call("/v1/events", { token: READ_TOKEN });
  const reader = response.body!.getReader();
  await readUntil(reader, /event: ready/);
  fixture.events.publish({
    type: "received",
    id: "m1",
    at: 1,
    sender: "alice@sender.test",
    recipients: ["bob@example.org"],
    clientIp: "192.0.2.7",
    helo: "client.sender.test",
    authUser: "alice",
  });
  const text = await readUntil(reader, /event: received\n[^]*\n\n/);
  await reader.cancel();
  const data = /data: (.*)\n/.exec(text.slice(text.indexOf("event: received")))![1];
  assert.deepEqual(JSON.parse(data), { type: "received", id: "m1", at: 1 });
});
