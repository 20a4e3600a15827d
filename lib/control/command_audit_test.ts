import assert from "node:assert/strict";
import type { AuditEvent, MailEvent } from "../observe/mod.ts";
import { createControlApp } from "./app.ts";
import { ADMIN_TOKEN, openFixture, READ_TOKEN } from "./testing.ts";

async function auditedFixture() {
  const fixture = await openFixture();
  const audited: AuditEvent[] = [];
  const app = createControlApp({ ...fixture.deps, audit: { record: (e) => audited.push(e) } });
  const call = async (path: string, init: RequestInit & { token?: string } = {}) => {
    const { token = ADMIN_TOKEN, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (token !== "") headers.set("Authorization", `Bearer ${token}`);
    const response = await app.request(path, { ...rest, headers });
    await response.body?.cancel();
    return response.status;
  };
  return { fixture, audited, call };
}

Deno.test("auditCommands() records mutating requests with the token name and status", async () => {
  const { fixture, audited, call } = await auditedFixture();
  await using _fixture = fixture;
  const id = await fixture.spool();
  assert.equal(await call(`/v1/queue/${id}/hold`, { method: "POST" }), 200);
  assert.equal(await call(`/v1/queue/${id}`), 200);
  assert.equal(await call("/v1/queue/01HZX0000000000000000000ZZ", { method: "DELETE" }), 404);
  assert.equal(await call(`/v1/queue/${id}/release`, { method: "POST", token: READ_TOKEN }), 403);
  assert.deepEqual(audited.map((event) => JSON.parse(JSON.stringify(event))), [
    {
      event: "ControlCommand",
      who: "root",
      method: "POST",
      path: `/v1/queue/${id}/hold`,
      status: 200,
    },
    {
      event: "ControlCommand",
      who: "root",
      method: "DELETE",
      path: "/v1/queue/01HZX0000000000000000000ZZ",
      status: 404,
    },
    {
      event: "ControlCommand",
      who: "ops",
      method: "POST",
      path: `/v1/queue/${id}/release`,
      status: 403,
    },
  ]);
});

Deno.test("auditUnauthorized() records a request without a valid token, never the token", async () => {
  const { fixture, audited, call } = await auditedFixture();
  await using _fixture = fixture;
  assert.equal(await call("/v1/queue/hold", { method: "POST", token: "wrong-token-4711" }), 401);
  assert.equal(await call("/v1/queue", { token: "" }), 401);
  assert.deepEqual(audited.map((event) => JSON.parse(JSON.stringify(event))), [
    { event: "AuthFailure", source: "control", method: "POST", path: "/v1/queue/hold" },
    { event: "AuthFailure", source: "control", method: "GET", path: "/v1/queue" },
  ]);
  assert.ok(!JSON.stringify(audited).includes("wrong-token-4711"));
});

Deno.test("bulk hold and delete publish one event per changed message", async () => {
  const { fixture, call } = await auditedFixture();
  await using _fixture = fixture;
  const ids = [await fixture.spool(), await fixture.spool()];
  const seen: MailEvent[] = [];
  fixture.events.subscribe((event) => seen.push(event));
  const json = { "Content-Type": "application/json" };
  assert.equal(await call("/v1/queue/hold", { method: "POST", headers: json, body: "{}" }), 200);
  assert.equal(await call("/v1/queue/delete", { method: "POST", headers: json, body: "{}" }), 200);
  assert.deepEqual(
    seen.map((event) => `${event.type} ${event.id}`).sort(),
    [...ids.map((id) => `held ${id}`), ...ids.map((id) => `deleted ${id}`)].sort(),
  );
});
