import assert from "node:assert/strict";
import { EmpathMetrics } from "../observe/mod.ts";
import { sampleValue } from "../observe/testing.ts";
import { createControlApp } from "./app.ts";
import { ADMIN_TOKEN, INJECT_TOKEN, openFixture, READ_TOKEN } from "./testing.ts";

async function openMetricsApp() {
  const fixture = await openFixture();
  const metrics = new EmpathMetrics({ lagIntervalMs: 0 });
  const app = createControlApp({ ...fixture.deps, metrics });
  const get = (token?: string) =>
    Promise.resolve(app.request("/metrics", {
      headers: token === undefined ? {} : { Authorization: `Bearer ${token}` },
    }));
  return {
    metrics,
    get,
    async [Symbol.asyncDispose]() {
      await metrics.shutdown();
      await fixture[Symbol.asyncDispose]();
    },
  };
}

Deno.test("GET /metrics serves the Prometheus text format to read and admin tokens", async () => {
  await using subject = await openMetricsApp();
  subject.metrics.smtp.connectionOpened("smtp");
  for (const token of [READ_TOKEN, ADMIN_TOKEN]) {
    const response = await subject.get(token);
    assert.equal(response.status, 200);
    assert.equal(
      response.headers.get("content-type"),
      "text/plain; version=0.0.4; charset=utf-8",
    );
    const text = await response.text();
    assert.equal(sampleValue(text, "empath_smtp_connections_total", { listener: "smtp" }), 1);
  }
});

Deno.test("GET /metrics without a valid token is 401 and counted as an auth failure", async () => {
  await using subject = await openMetricsApp();
  const anonymous = await subject.get();
  assert.equal(anonymous.status, 401);
  assert.deepEqual(await anonymous.json(), {
    error: { code: "unauthorized", message: "A valid bearer token is required" },
  });
  assert.equal((await subject.get("not-a-token")).status, 401);
  assert.equal((await subject.get(INJECT_TOKEN)).status, 403);
  const text = await (await subject.get(READ_TOKEN)).text();
  assert.equal(sampleValue(text, "empath_control_auth_failures_total"), 2);
});

Deno.test("GET /metrics is 404 when the instance has no metrics", async () => {
  await using fixture = await openFixture();
  const response = await fixture.call("/metrics", { token: READ_TOKEN });
  assert.equal(response.status, 404);
});
