import assert from "node:assert/strict";
import { type MailEvent, MailEvents } from "./events.ts";

Deno.test("MailEvents delivers events to matching subscribers only, until they unsubscribe", () => {
  const events = new MailEvents();
  const all: MailEvent[] = [];
  const org: MailEvent[] = [];
  const stopAll = events.subscribe((event) => all.push(event));
  events.subscribe((event) => org.push(event), { domain: "Example.ORG" });
  events.publish({ type: "received", id: "a", at: 1 });
  events.publish({ type: "delivered", id: "a", at: 2, domain: "example.org" });
  events.publish({ type: "deferred", id: "b", at: 3, domain: "example.net" });
  assert.deepEqual(all.map((e) => e.type), ["received", "delivered", "deferred"]);
  assert.deepEqual(org.map((e) => e.type), ["delivered"]);
  stopAll();
  events.publish({ type: "bounced", id: "c", at: 4 });
  assert.equal(all.length, 3);
  assert.equal(events.subscribers, 1);
});

Deno.test("MailEvents drops a subscriber that throws and keeps publishing to the others", () => {
  const events = new MailEvents();
  const seen: string[] = [];
  events.subscribe(() => {
    throw new Error("broken client");
  });
  events.subscribe((event) => seen.push(event.id), { id: "m1" });
  events.publish({ type: "attempt", id: "m1", at: 1 });
  events.publish({ type: "attempt", id: "m2", at: 2 });
  assert.deepEqual(seen, ["m1"]);
  assert.equal(events.subscribers, 1);
});
