import assert from "node:assert/strict";
import { ADMIN_TOKEN, openFixture, READ_TOKEN } from "./testing.ts";
import { createControlApp } from "./app.ts";
import { CachingResolver } from "../dns/mod.ts";
import { FakeDnsBackend } from "../dns/testing.ts";
import { MtaStsPolicies } from "../mta_sts/mod.ts";
import { FakePolicyFetcher } from "../mta_sts/testing.ts";

Deno.test("PUT, GET and DELETE /v1/delivery/rate-limits/:domain change the RateLimiter", async () => {
  await using fixture = await openFixture();
  const put = await fixture.call("/v1/delivery/rate-limits/Slow.Example", {
    method: "PUT",
    json: { rate: "120/m", burst: 3 },
  });
  assert.equal(put.status, 200);
  assert.deepEqual(await put.json(), {
    domain: "slow.example",
    ratePerSecond: 2,
    burst: 3,
    released: 0,
  });
  assert.deepEqual(fixture.limiter.limits().overrides["slow.example"], {
    ratePerSecond: 2,
    burst: 3,
  });

  const numeric = await fixture.call("/v1/delivery/rate-limits/fast.example", {
    method: "PUT",
    json: { rate: 50, burst: 100 },
  });
  assert.equal(numeric.status, 200);

  fixture.limiter.take("slow.example");
  const get = await fixture.call("/v1/delivery/rate-limits", { token: READ_TOKEN });
  const limits = await get.json();
  assert.deepEqual(limits.defaults, { ratePerSecond: 10, burst: 20 });
  assert.deepEqual(limits.overrides, {
    "slow.example": { ratePerSecond: 2, burst: 3 },
    "fast.example": { ratePerSecond: 50, burst: 100 },
  });
  const bucket = limits.buckets.find((entry: { key: string }) => entry.key === "slow.example");
  assert.equal(bucket.tokens, 2);

  const deleted = await fixture.call("/v1/delivery/rate-limits/slow.example", {
    method: "DELETE",
  });
  assert.equal(deleted.status, 200);
  assert.deepEqual(await deleted.json(), {
    domain: "slow.example",
    ratePerSecond: 10,
    burst: 20,
    released: 0,
  });
  assert.equal(fixture.limiter.limits().overrides["slow.example"], undefined);
});

Deno.test("PUT /v1/delivery/rate-limits/:domain makes mail that only waited for the old limit due now", async () => {
  await using fixture = await openFixture();
  const later = fixture.clock.now() + 3_600_000;
  const postpone = async (status: "pending" | "deferred") => {
    const id = await fixture.spool(undefined, {
      recipients: ["a@slow.example", "b@other.example"],
    });
    const message = (await fixture.queue.get(id))!;
    const [slow, other] = message.recipients;
    assert.ok(
      await fixture.queue.update({
        ...message,
        nextAttemptAt: later,
        recipients: [{ ...slow, status, nextAttemptAt: later }, { ...other, nextAttemptAt: later }],
      }),
    );
    return id;
  };
  const waited = await postpone("pending"); // held back by the 1/h limit, never tried
  const deferred = await postpone("deferred"); // a 4xx: keeps its retry schedule
  const put = await fixture.call("/v1/delivery/rate-limits/slow.example", {
    method: "PUT",
    json: { rate: "100/s", burst: 100 },
  });
  assert.equal((await put.json()).released, 1);
  const now = fixture.clock.now();
  const released = (await fixture.queue.get(waited))!;
  assert.equal(released.nextAttemptAt, now);
  assert.deepEqual(released.recipients.map((r) => r.nextAttemptAt), [now, later]);
  assert.equal((await fixture.queue.get(deferred))!.nextAttemptAt, later);
  assert.equal(fixture.wakes(), 1);
});

Deno.test("GET /v1/delivery/breakers and POST .../reset close an open breaker", async () => {
  await using fixture = await openFixture();
  fixture.breakers.record("mx.example.org", "temporary-failure");
  fixture.breakers.record("mx.example.org", "temporary-failure");
  const before = await (await fixture.call("/v1/delivery/breakers", { token: READ_TOKEN }))
    .json();
  assert.equal(before.breakers[0].key, "mx.example.org");
  assert.equal(before.breakers[0].state, "open");
  assert.equal(fixture.breakers.allow("mx.example.org").allowed, false);

  const reset = await fixture.call("/v1/delivery/breakers/MX.example.org/reset", {
    method: "POST",
  });
  assert.equal(reset.status, 200);
  assert.deepEqual(await reset.json(), { key: "mx.example.org", state: "closed" });
  assert.equal(fixture.breakers.allow("mx.example.org").allowed, true);
});

Deno.test("POST /v1/delivery/process wakes the engine", async () => {
  await using fixture = await openFixture();
  const response = await fixture.call("/v1/delivery/process", { method: "POST" });
  assert.equal(response.status, 202);
  assert.deepEqual(await response.json(), { woken: true });
  assert.equal(fixture.wakes(), 1);
});

Deno.test("GET /v1/delivery/mta-sts lists the cached MTA-STS policies", async () => {
  await using fixture = await openFixture();
  const empty = await fixture.call("/v1/delivery/mta-sts", { token: READ_TOKEN });
  assert.deepEqual(await empty.json(), { policies: [] });
  const dns = new CachingResolver(
    new FakeDnsBackend().txt("_mta-sts.example.org", ["v=STSv1; id=20240101"]),
    { clock: fixture.clock },
  );
  const fetcher = new FakePolicyFetcher()
    .policy("example.org", { mode: "enforce", mx: ["mx.example.org"], maxAge: 86400 });
  const policies = new MtaStsPolicies({ dns, fetcher, clock: fixture.clock });
  await policies.policyFor("example.org");
  fixture.deps.delivery.mtaStsPolicies = () => policies.entries();
  const response = await fixture.call("/v1/delivery/mta-sts", { token: READ_TOKEN });
  assert.equal(response.status, 200);
  const now = fixture.clock.now();
  assert.deepEqual(await response.json(), {
    policies: [{
      domain: "example.org",
      id: "20240101",
      mode: "enforce",
      mx: ["mx.example.org"],
      maxAge: 86400,
      fetchedAt: now,
      expiresAt: now + 86_400_000,
    }],
  });
});

Deno.test("GET /v1/delivery/tls-rpt lists recorded TLS sessions; POST .../send reports them", async () => {
  await using fixture = await openFixture();
  fixture.backend.txt("_smtp._tls.example.org", ["v=TLSRPTv1; rua=mailto:tlsrpt@example.org"]);
  fixture.tlsRpt.sessions.record({
    domain: "example.org",
    policy: { type: "no-policy-found", strings: [], mx: [] },
    failure: { resultType: "starttls-not-supported", receivingMxHostname: "mx.example.org" },
  });
  await fixture.tlsRpt.sessions.flush();
  const listed = await fixture.call("/v1/delivery/tls-rpt", { token: READ_TOKEN });
  assert.equal(listed.status, 200);
  const day = Math.floor(fixture.clock.now() / 86_400_000) * 86_400_000;
  assert.deepEqual(await listed.json(), {
    enabled: true,
    periods: [{
      domain: "example.org",
      start: day,
      end: day + 86_400_000,
      from: day,
      policies: [{
        type: "no-policy-found",
        successes: 0,
        failures: [{
          resultType: "starttls-not-supported",
          receivingMxHostname: "mx.example.org",
          count: 1,
        }],
      }],
    }],
    pending: [],
  });
  const refused = await fixture.call("/v1/delivery/tls-rpt/send", {
    method: "POST",
    token: READ_TOKEN,
  });
  assert.equal(refused.status, 403);
  await refused.body?.cancel();
  const sent = await fixture.call("/v1/delivery/tls-rpt/send", { method: "POST" });
  assert.equal(sent.status, 200);
  assert.deepEqual(await sent.json(), { reports: 1, submitted: 1, failed: 0, pending: 0 });
  const [report] = (await fixture.queue.list()).messages;
  assert.equal(report.reversePath, "");
  assert.deepEqual(report.recipients.map((r) => r.address), ["tlsrpt@example.org"]);
  assert.equal(fixture.wakes(), 1);
  const after = await (await fixture.call("/v1/delivery/tls-rpt", { token: READ_TOKEN })).json();
  assert.deepEqual(after.periods, []);
});

Deno.test("POST /v1/delivery/tls-rpt/send answers 409 when TLS reporting is disabled", async () => {
  await using fixture = await openFixture();
  const app = createControlApp({ ...fixture.deps, tlsRpt: undefined });
  const response = await app.request("/v1/delivery/tls-rpt/send", {
    method: "POST",
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  assert.equal(response.status, 409);
  assert.equal((await response.json()).error.code, "conflict");
  const listed = await app.request("/v1/delivery/tls-rpt", {
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  assert.deepEqual(await listed.json(), { enabled: false, periods: [], pending: [] });
});
