import assert from "node:assert/strict";
import { hc } from "hono/client";
import type { ControlApp } from "./app.ts";
import { ADMIN_TOKEN, openFixture } from "./testing.ts";

Deno.test("hc<ControlApp>() calls the control API with typed paths, queries and bodies", async () => {
  await using fixture = await openFixture();
  const id = await fixture.spool();
  const client = hc<ControlApp>("http://control.test", {
    fetch: (input: RequestInfo | URL, init?: RequestInit) => fixture.app.request(input, init),
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  const held = await client.v1.queue[":id"].hold.$post({ param: { id } });
  assert.equal(held.status, 200);
  const list = await client.v1.queue.$get({ query: { state: "held", limit: "10" } });
  assert.deepEqual((await list.json()).messages.map((message) => message.id), [id]);
  const limit = await client.v1.delivery["rate-limits"][":domain"].$put({
    param: { domain: "example.org" },
    json: { rate: "5/s", burst: 2 },
  });
  assert.equal(limit.status, 200);
  assert.deepEqual(fixture.limiter.limits().overrides["example.org"], {
    ratePerSecond: 5,
    burst: 2,
  });
});
