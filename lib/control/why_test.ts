import assert from "node:assert/strict";
import type { QueuedMessage } from "../queue/mod.ts";
import { openFixture, READ_TOKEN } from "./testing.ts";
import { explainMessage } from "./why.ts";

const NOW = 1_700_000_000_000;

function message(overrides: Partial<QueuedMessage> = {}): QueuedMessage {
  return {
    id: "01HF7YAT005BTKTMX5R29VGDH3",
    reversePath: "a@example.test",
    recipients: [{ address: "b@example.org", status: "pending", attempts: 0 }],
    receivedFrom: { ip: "192.0.2.1", helo: "client.test" },
    size: 10,
    chunks: 1,
    createdAt: NOW - 1000,
    expiresAt: NOW + 86_400_000,
    nextAttemptAt: NOW,
    attempts: 0,
    priority: 0,
    state: "queued",
    version: 1,
    revision: 0,
    ...overrides,
  };
}

const view = { now: NOW, breakers: [], limits: [] };
const deferred = (text: string, code = 451) => ({
  recipients: [{
    address: "b@example.org",
    status: "deferred" as const,
    attempts: 1,
    lastReply: { code, text, at: NOW - 10 },
    nextAttemptAt: NOW + 60_000,
  }],
  nextAttemptAt: NOW + 60_000,
});

Deno.test("explainMessage() names each reason a message waits", () => {
  assert.equal(explainMessage(message({ state: "held" }), view).reason, "held");
  const leased = explainMessage(message({ lease: { owner: "w", until: NOW + 5000 } }), view);
  assert.equal(leased.reason, "in-flight");
  assert.equal(leased.nextAttemptAt, NOW + 5000);
  assert.equal(explainMessage(message(), view).reason, "due");
  const waiting = explainMessage(message(deferred("4.2.1 mailbox busy")), view);
  assert.equal(waiting.reason, "waiting-retry");
  assert.match(waiting.sentence, /next attempt at .* after "451 4\.2\.1 mailbox busy"/);
  assert.equal(waiting.lastReply?.code, 451);
  const tls = explainMessage(message(deferred("tls-unavailable: STARTTLS not offered")), view);
  assert.equal(tls.reason, "tls-policy");
  assert.match(tls.sentence, /^TLS policy unmet after "451 tls-unavailable/);
});

Deno.test("explainMessage() says TLS policy unmet after an MTA-STS deferral", () => {
  const text = "MTA-STS policy of example.org not met (TLS policy unmet): All next hops failed: " +
    "mx.example.org[192.0.2.1]:25: tls-unavailable: The server does not offer STARTTLS";
  const why = explainMessage(message(deferred(text)), view);
  assert.equal(why.reason, "tls-policy");
  assert.match(why.sentence, /^TLS policy unmet: the recipient domain's MTA-STS policy needs/);
  assert.equal(why.nextAttemptAt, NOW + 60_000);
});

Deno.test("explainMessage() reports an open breaker or an empty rate bucket for the message's domain", () => {
  const open = {
    key: "example.org",
    state: "open" as const,
    failures: 5,
    openedAt: NOW - 1000,
    trips: 1,
    recoveries: 0,
  };
  const broken = explainMessage(message(deferred("busy")), { ...view, breakers: [open] });
  assert.equal(broken.reason, "breaker-open");
  assert.equal(broken.domain, "example.org");
  const other = explainMessage(message(deferred("busy")), {
    ...view,
    breakers: [{ ...open, key: "elsewhere.test" }],
  });
  assert.equal(other.reason, "waiting-retry");
  const empty = { key: "example.org", tokens: 0.2, ratePerSecond: 2, burst: 1 };
  const limited = explainMessage(message(deferred("x")), { ...view, limits: [empty] });
  assert.equal(limited.reason, "rate-limited");
  assert.match(limited.sentence, /2\/s/);
  const hourly = { ...empty, ratePerSecond: 1 / 3600 };
  const slow = explainMessage(message(deferred("x")), { ...view, limits: [hourly] });
  assert.match(slow.sentence, /^Rate limited: example\.org allows 1\/h \(burst 1\)/);
});

Deno.test("GET /v1/queue/:id/why answers with a sentence and fields, 404 for an unknown id", async () => {
  await using fixture = await openFixture();
  const id = await fixture.spool();
  const response = await fixture.call(`/v1/queue/${id}/why`, { token: READ_TOKEN });
  assert.equal(response.status, 200);
  const why = await response.json();
  assert.equal(why.reason, "due");
  assert.match(why.sentence, /Due now/);
  const held = await fixture.call(`/v1/queue/${id}/hold`, { method: "POST" });
  assert.equal(held.status, 200);
  assert.equal((await (await fixture.call(`/v1/queue/${id}/why`)).json()).reason, "held");
  const missing = await fixture.call("/v1/queue/01HF7YAT005BTKTMX5R29VGDH3/why");
  assert.equal(missing.status, 404);
});
