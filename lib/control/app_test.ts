import assert from "node:assert/strict";
import { ADMIN_TOKEN, INJECT_TOKEN, openFixture, READ_TOKEN } from "./testing.ts";
import { OPERATIONS } from "./openapi.ts";

async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  assert.match(response.headers.get("Content-Type") ?? "", /application\/json/);
  return (await response.json()).error;
}

Deno.test("createControlApp() serves /healthz and /readyz without a token", async () => {
  await using fixture = await openFixture();
  const health = await fixture.call("/healthz", { token: null });
  assert.equal(health.status, 200);
  assert.deepEqual(await health.json(), { status: "ok" });
  const ready = await fixture.call("/readyz", { token: null });
  assert.equal(ready.status, 200);
  assert.deepEqual(await ready.json(), { status: "ready" });
});

Deno.test("createControlApp() answers /readyz with 503 when the queue fails", async () => {
  await using fixture = await openFixture();
  fixture.queue.count = () => Promise.reject(new Error("database is locked"));
  const ready = await fixture.call("/readyz", { token: null });
  assert.equal(ready.status, 503);
  const text = await ready.text();
  assert.deepEqual(JSON.parse(text), { status: "unavailable" });
  assert.ok(!text.includes("locked"));
});

Deno.test("createControlApp() answers 401 alike for a missing, malformed or wrong token", async () => {
  await using fixture = await openFixture();
  const responses = [
    await fixture.call("/v1/queue", { token: null }),
    await fixture.call("/v1/queue", { token: "wrong" }),
    await fixture.call("/v1/queue", { token: "" }),
    await fixture.call("/v1/queue", { token: null, headers: { Authorization: "Basic eDp5" } }),
    await fixture.call("/v1/queue", { token: `${ADMIN_TOKEN}x` }),
  ];
  const bodies = [];
  for (const response of responses) {
    assert.equal(response.status, 401);
    assert.equal(response.headers.get("WWW-Authenticate"), 'Bearer realm="empath"');
    bodies.push(await errorOf(response));
  }
  for (const body of bodies) assert.deepEqual(body, bodies[0]);
  assert.equal(bodies[0].code, "unauthorized");
});

Deno.test("createControlApp() lets a read token GET but not change anything", async () => {
  await using fixture = await openFixture();
  const id = await fixture.spool();
  assert.equal((await fixture.call("/v1/queue", { token: READ_TOKEN })).status, 200);
  assert.equal((await fixture.call(`/v1/queue/${id}`, { token: READ_TOKEN })).status, 200);
  for (
    const [method, path] of [
      ["DELETE", `/v1/queue/${id}`],
      ["POST", `/v1/queue/${id}/hold`],
      ["POST", "/v1/delivery/process"],
      ["DELETE", "/v1/dns/cache"],
    ]
  ) {
    const response = await fixture.call(path, { method, token: READ_TOKEN });
    assert.equal(response.status, 403, `${method} ${path}`);
    assert.equal((await errorOf(response)).code, "forbidden");
  }
  assert.ok(await fixture.queue.get(id));
  assert.equal(fixture.wakes(), 0);
});

Deno.test("createControlApp() lets an inject token submit mail and nothing else", async () => {
  await using fixture = await openFixture();
  const id = await fixture.spool();
  const submitted = await fixture.call("/v1/messages?from=a@example.org&to=b@example.net", {
    method: "POST",
    token: INJECT_TOKEN,
    headers: { "Content-Type": "message/rfc822" },
    body: "Subject: hi\r\n\r\nHello\r\n",
  });
  assert.equal(submitted.status, 202, await submitted.clone().text());
  for (
    const [method, path] of [
      ["GET", "/v1/queue"],
      ["GET", `/v1/queue/${id}`],
      ["DELETE", `/v1/queue/${id}`],
      ["POST", "/v1/delivery/process"],
      ["GET", "/v1/system/config"],
    ]
  ) {
    const response = await fixture.call(path, { method, token: INJECT_TOKEN });
    assert.equal(response.status, 403, `${method} ${path}`);
    assert.match((await errorOf(response)).message, /scope "inject"/);
  }
  assert.ok(await fixture.queue.get(id));
});

Deno.test("createControlApp() lets an admin token change things", async () => {
  await using fixture = await openFixture();
  const response = await fixture.call("/v1/delivery/process", { method: "POST" });
  assert.equal(response.status, 202);
  assert.equal(fixture.wakes(), 1);
});

Deno.test("createControlApp() answers unknown routes with a JSON 404", async () => {
  await using fixture = await openFixture();
  const response = await fixture.call("/v1/nothing");
  assert.equal(response.status, 404);
  assert.equal((await errorOf(response)).code, "not_found");
});

Deno.test("createControlApp() rejects a body above max_body with 413", async () => {
  await using fixture = await openFixture({ maxBody: 64 });
  const response = await fixture.call("/v1/queue/delete", {
    method: "POST",
    json: { sender: "x".repeat(200) },
  });
  assert.equal(response.status, 413);
  assert.equal((await errorOf(response)).code, "payload_too_large");
  assert.equal(fixture.wakes(), 0);
});

Deno.test("createControlApp() names the bad field in a 400", async () => {
  await using fixture = await openFixture();
  const cases: [string, RequestInit & { json?: unknown }, RegExp][] = [
    ["/v1/queue?limit=501", {}, /query parameter "limit"/],
    ["/v1/queue?limit=abc", {}, /query parameter "limit"/],
    ["/v1/queue?state=frozen", {}, /query parameter "state"/],
    ["/v1/queue?min_age=soon", {}, /query parameter "min_age"/],
    ["/v1/queue?colour=red", {}, /query parameter "colour": unknown field/],
    ["/v1/queue/hold", { method: "POST", json: { dry_run: "yes" } }, /body "dry_run"/],
    ["/v1/delivery/rate-limits/example.org", {
      method: "PUT",
      json: { rate: "fast", burst: 1 },
    }, /body "rate"/],
    ["/v1/delivery/rate-limits/example.org", {
      method: "PUT",
      json: { rate: "10/s", burst: 0 },
    }, /body "burst"/],
    ["/v1/delivery/rate-limits/not_a_domain!", {
      method: "PUT",
      json: { rate: 1, burst: 1 },
    }, /path parameter "domain"/],
  ];
  for (const [path, init, message] of cases) {
    const response = await fixture.call(path, init);
    assert.equal(response.status, 400, path);
    const error = await errorOf(response);
    assert.equal(error.code, "invalid_request");
    assert.match(error.message, message);
  }
});

Deno.test("createControlApp() rejects malformed JSON and a non-JSON body", async () => {
  await using fixture = await openFixture();
  const malformed = await fixture.call("/v1/queue/hold", {
    method: "POST",
    body: "{",
    headers: { "Content-Type": "application/json" },
  });
  assert.equal(malformed.status, 400);
  const text = await fixture.call("/v1/queue/hold", { method: "POST", body: "{}" });
  assert.equal(text.status, 415);
});

Deno.test("createControlApp() hides the details of unexpected errors", async () => {
  await using fixture = await openFixture();
  fixture.deps.dns.stats = () => {
    throw new Error("secret internal detail");
  };
  const response = await fixture.call("/v1/dns/cache");
  assert.equal(response.status, 500);
  const text = await response.text();
  assert.ok(!text.includes("secret internal detail"));
  assert.deepEqual(JSON.parse(text), {
    error: { code: "internal", message: "Internal server error" },
  });
});

Deno.test("GET /v1/openapi.json lists every registered route", async () => {
  await using fixture = await openFixture();
  const response = await fixture.call("/v1/openapi.json", { token: READ_TOKEN });
  assert.equal(response.status, 200);
  const document = await response.json();
  assert.equal(document.openapi, "3.1.0");
  const registered = new Set(
    fixture.app.routes
      .filter((route) => route.method !== "ALL")
      .map((route) => `${route.method} ${route.path.replace(/:(\w+)/g, "{$1}")}`),
  );
  const documented = new Set(
    Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap((
      [path, methods],
    ) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`)),
  );
  assert.deepEqual([...documented].sort(), [...registered].sort());
  assert.equal(documented.size, OPERATIONS.length);
  const put = document.paths["/v1/delivery/rate-limits/{domain}"].put;
  assert.ok(put.requestBody.content["application/json"].schema.properties.rate);
  const list = document.paths["/v1/queue"].get;
  assert.ok(list.parameters.some((parameter: { name: string }) => parameter.name === "cursor"));
});
