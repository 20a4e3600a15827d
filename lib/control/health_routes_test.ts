import assert from "node:assert/strict";
import { openMemoryQueue } from "../queue/mod.ts";
import { ManualClock } from "../queue/testing.ts";
import { createHealthRoutes } from "./health_routes.ts";

Deno.test("createHealthRoutes() answers /readyz with 503 once a shutdown began, /healthz stays ok", async () => {
  await using queue = openMemoryQueue({ clock: new ManualClock() });
  let shuttingDown = false;
  const app = createHealthRoutes({ queue, shuttingDown: () => shuttingDown });
  assert.deepEqual(await (await app.request("/readyz")).json(), { status: "ready" });
  shuttingDown = true;
  const ready = await app.request("/readyz");
  assert.equal(ready.status, 503);
  assert.deepEqual(await ready.json(), { status: "shutting-down" });
  const health = await app.request("/healthz");
  assert.equal(health.status, 200);
});
