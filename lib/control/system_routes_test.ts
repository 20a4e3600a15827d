import assert from "node:assert/strict";
import { openFixture, READ_TOKEN } from "./_test_fixture.ts";

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
