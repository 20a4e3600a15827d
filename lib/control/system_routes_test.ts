import assert from "node:assert/strict";
import { createControlApp } from "./app.ts";
import { ADMIN_TOKEN, openFixture, READ_TOKEN } from "./testing.ts";

Deno.test("GET /v1/system reports version, uptime and delivery counters", async () => {
  await using fixture = await openFixture();
  fixture.clock.advance(1_000);
  const response = await fixture.call("/v1/system", { token: READ_TOKEN });
  assert.equal(response.status, 200);
  const system = await response.json();
  assert.equal(system.version, "9.9.9");
  assert.equal(system.uptimeMs, 6_000);
  assert.equal(system.startedAt, new Date(fixture.deps.startedAt).toISOString());
  assert.equal(system.delivery.inFlight, 2);
  assert.equal(system.delivery.pool.misses, 2);
  assert.deepEqual(system.delivery.hosts, [{ host: "mx.example.org", active: 1, limit: 4 }]);
});

Deno.test("GET /v1/system/connections lists open SMTP connections", async () => {
  await using fixture = await openFixture();
  const connection = {
    id: 1,
    listener: "smtp",
    peer: "192.0.2.7:40000",
    since: 0,
    phase: "idle",
    bytesIn: 10,
    bytesOut: 20,
    messages: 0,
  };
  fixture.deps.connections = () => [connection];
  const response = await fixture.call("/v1/system/connections", { token: READ_TOKEN });
  assert.deepEqual(await response.json(), { connections: [connection] });
});

Deno.test("GET /v1/system/config returns the redacted configuration", async () => {
  await using fixture = await openFixture();
  const response = await fixture.call("/v1/system/config", { token: READ_TOKEN });
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), fixture.deps.config());
});

Deno.test("GET/PUT /v1/system/log-level read and change levels at run time", async () => {
  await using fixture = await openFixture();
  const set: [string[], string | null][] = [];
  const levels = { level: "info" as const, categories: [] as { category: string; level: null }[] };
  const app = createControlApp({
    ...fixture.deps,
    logging: {
      levels: () => levels,
      set: (category, level) => {
        set.push([[...category], level]);
        return Promise.resolve();
      },
    },
  });
  const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const read = await app.request("/v1/system/log-level", { headers: auth });
  assert.equal(read.status, 200);
  assert.deepEqual(await read.json(), levels);
  const put = await app.request("/v1/system/log-level", {
    method: "PUT",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ category: "empath.smtp", level: "debug" }),
  });
  assert.equal(put.status, 200);
  assert.deepEqual(set, [[["empath", "smtp"], "debug"]]);
  const bad = await app.request("/v1/system/log-level", {
    method: "PUT",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ level: "loud" }),
  });
  assert.equal(bad.status, 400);
  const none = await fixture.call("/v1/system/log-level");
  assert.equal(none.status, 409, "without logging set up in the process");
});
