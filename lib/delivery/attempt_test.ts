import assert from "node:assert/strict";
import type { DomainPolicy } from "../config/mod.ts";
import { CachingResolver } from "../dns/mod.ts";
import { FakeDnsBackend } from "../dns/testing.ts";
import { openMemoryQueue } from "../queue/mod.ts";
import { envelope, ManualClock, spoolMessage } from "../queue/testing.ts";
import { startSlowPeer } from "../../tests/support/slow_peer.ts";
import { eventually } from "../../tests/support/wait.ts";
import { MessageAttempt } from "./attempt.ts";
import { BounceSender } from "./bounce.ts";
import { CircuitBreakers } from "./circuit_breaker.ts";
import { ConnectionPool } from "./connection_pool.ts";
import { DestinationSender } from "./destination_sender.ts";
import { HostLimiter } from "./host_limiter.ts";
import { RateLimiter } from "./rate_limiter.ts";
import { RouteResolver } from "./route.ts";
import type { SmtpClientConnection } from "./smtp_client.ts";

const POLICY: DomainPolicy = {
  rate: 100,
  burst: 100,
  tls: "disabled",
  verifyCertificates: false,
  maxConnectionsPerHost: 10,
};

Deno.test("MessageAttempt.run() interrupted mid-delivery keeps confirmed recipients and releases the rest", async () => {
  // The first copy is confirmed at once; the second waits for a reply that never comes.
  await using peer = startSlowPeer({ delayMs: ({ seen }) => seen === 0 ? 0 : 60_000 });
  const clock = new ManualClock();
  await using queue = openMemoryQueue({ clock });
  const id = await spoolMessage(queue, new TextEncoder().encode("Subject: x\r\n\r\nbody\r\n"), {
    envelope: envelope({ recipients: ["a@first.test", "b@second.test"] }),
  });
  const interruption = new AbortController();
  const pool = new ConnectionPool<SmtpClientConnection>({ reuse: false });
  const hosts = new HostLimiter({ max: 10 });
  const routes = new RouteResolver(new CachingResolver(new FakeDnsBackend(), { clock }), {
    routes: [{
      domains: ["first.test", "second.test"],
      kind: "smtp",
      to: `127.0.0.1:${peer.port}`,
      tls: "disabled",
      verifyCertificates: false,
    }],
    allowPrivateDestinations: false,
  });
  const sender = new DestinationSender(queue, {
    heloName: "mx.empath.test",
    hostname: "mx.empath.test",
    policyFor: () => POLICY,
    timeouts: {},
    signal: interruption.signal,
  }, { pool, hostLimiter: () => hosts });
  const attempt = new MessageAttempt({
    queue,
    routes,
    sender,
    traffic: {
      limiter: new RateLimiter({ clock, defaults: { ratePerSecond: 100, burst: 100 } }),
      breakers: new CircuitBreakers({ clock, threshold: 5 }),
    },
    bounces: new BounceSender(queue, { hostname: "mx.empath.test", now: () => clock.now() }),
  }, {
    retrySchedule: [3_600_000],
    now: () => clock.now(),
    random: () => 0,
    interrupted: interruption.signal,
  });

  const message = (await queue.get(id))!;
  const leased = { ...message, lease: { owner: "test", until: clock.now() + 600_000 } };
  assert.ok(await queue.update(leased));
  const running = attempt.run({ ...leased, revision: message.revision + 1 });
  await eventually(() => Promise.resolve(peer.messages[1]?.state === "pending"));
  clock.advance(5_000);
  interruption.abort();
  await running;
  await pool.close();

  await eventually(() => Promise.resolve(peer.messages[1].state !== "pending"));
  assert.deepEqual(peer.messages.map((m) => m.state), ["confirmed", "cut"]);
  const after = (await queue.get(id))!;
  assert.equal(after.lease, undefined, "the lease is given back");
  assert.equal(after.nextAttemptAt, clock.now(), "due again at once");
  const [first, second] = after.recipients;
  assert.equal(first.status, "delivered");
  assert.equal(second.status, "pending", "not deferred: the cut is not the receiver's answer");
  assert.equal(second.attempts, 0);
});

Deno.test("MessageAttempt.run() postponed by the rate limit counts no attempt, so a later 4xx waits the first retry step", async () => {
  const clock = new ManualClock();
  await using queue = openMemoryQueue({ clock });
  const id = await spoolMessage(queue, new TextEncoder().encode("Subject: x\r\n\r\nbody\r\n"), {
    envelope: envelope({ recipients: ["a@later.test"] }),
  });
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = closed.addr.port;
  closed.close();
  const limiter = new RateLimiter({ clock, defaults: { ratePerSecond: 1, burst: 1 } });
  assert.deepEqual(limiter.take("later.test"), { allowed: true }, "another message took the token");
  const pool = new ConnectionPool<SmtpClientConnection>({ reuse: false });
  const hosts = new HostLimiter({ max: 10 });
  const routes = new RouteResolver(new CachingResolver(new FakeDnsBackend(), { clock }), {
    routes: [{
      domains: ["later.test"],
      kind: "smtp",
      to: `127.0.0.1:${port}`,
      tls: "disabled",
      verifyCertificates: false,
    }],
    allowPrivateDestinations: false,
  });
  const sender = new DestinationSender(queue, {
    heloName: "mx.empath.test",
    hostname: "mx.empath.test",
    policyFor: () => POLICY,
    timeouts: {},
  }, { pool, hostLimiter: () => hosts });
  const attempt = new MessageAttempt({
    queue,
    routes,
    sender,
    traffic: { limiter, breakers: new CircuitBreakers({ clock, threshold: 5 }) },
    bounces: new BounceSender(queue, { hostname: "mx.empath.test", now: () => clock.now() }),
  }, { retrySchedule: [60_000, 3_600_000], now: () => clock.now(), random: () => 0.5 });
  const run = async () => {
    const message = (await queue.get(id))!;
    const leased = { ...message, lease: { owner: "test", until: clock.now() + 600_000 } };
    assert.ok(await queue.update(leased));
    await attempt.run({ ...leased, revision: message.revision + 1 });
    return (await queue.get(id))!;
  };

  const postponed = await run();
  assert.equal(postponed.attempts, 0, "waiting for a token is not an attempt");
  assert.equal(postponed.nextAttemptAt, clock.now() + 1000, "due when the next token is");
  assert.deepEqual(
    postponed.recipients.map((r) => [r.status, r.attempts]),
    [["pending", 0]],
  );
  clock.advance(1000);
  const deferred = await run();
  await pool.close();
  assert.equal(deferred.attempts, 1);
  assert.deepEqual(deferred.recipients.map((r) => [r.status, r.attempts]), [["deferred", 1]]);
  assert.equal(deferred.nextAttemptAt, clock.now() + 60_000, "the first step of the schedule");
});
