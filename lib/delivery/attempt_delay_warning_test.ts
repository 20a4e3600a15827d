import assert from "node:assert/strict";
import type { DomainPolicy } from "../config/mod.ts";
import { CachingResolver } from "../dns/mod.ts";
import { FakeDnsBackend } from "../dns/testing.ts";
import { openKvQueue, type QueueStore } from "../queue/mod.ts";
import { envelope, ManualClock, spoolMessage } from "../queue/testing.ts";
import { MessageAttempt } from "./attempt.ts";
import { BounceSender, type QueuedBounce } from "./bounce.ts";
import { CircuitBreakers } from "./circuit_breaker.ts";
import { ConnectionPool } from "./connection_pool.ts";
import { DestinationSender } from "./destination_sender.ts";
import { HostLimiter } from "./host_limiter.ts";
import { RateLimiter } from "./rate_limiter.ts";
import { RouteResolver } from "./route.ts";
import type { SmtpClientConnection } from "./smtp_client.ts";

const HOUR = 3_600_000;
const POLICY: DomainPolicy = {
  rate: 100,
  burst: 100,
  tls: "disabled",
  verifyCertificates: false,
  maxConnectionsPerHost: 10,
};

/** A port nothing listens on: every delivery to it is refused, so recipients stay deferred. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

/** A delivery attempt as the engine builds it, with `[queue] delay_warning = "4h"`. */
function attemptFor(queue: QueueStore, clock: ManualClock, port: number) {
  const pool = new ConnectionPool<SmtpClientConnection>({ reuse: false });
  const hosts = new HostLimiter({ max: 10 });
  const routes = new RouteResolver(new CachingResolver(new FakeDnsBackend(), { clock }), {
    routes: [{
      domains: ["late.test"],
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
  const queued: QueuedBounce[] = [];
  const bounces = new BounceSender(queue, {
    hostname: "mx.empath.test",
    now: () => clock.now(),
    onQueued: (bounce) => queued.push(bounce),
  });
  const attempt = new MessageAttempt({
    queue,
    routes,
    sender,
    traffic: {
      limiter: new RateLimiter({ clock, defaults: { ratePerSecond: 100, burst: 100 } }),
      breakers: new CircuitBreakers({ clock, threshold: 1000 }),
    },
    bounces,
  }, {
    retrySchedule: [HOUR],
    now: () => clock.now(),
    random: () => 0.5,
    delayWarning: () => 4 * HOUR,
  });
  const run = async (id: string) => {
    const message = (await queue.get(id))!;
    const leased = { ...message, lease: { owner: "test", until: clock.now() + 600_000 } };
    assert.ok(await queue.update(leased));
    await attempt.run({ ...leased, revision: message.revision + 1 });
    return (await queue.get(id))!;
  };
  return { run, queued, [Symbol.asyncDispose]: () => pool.close() };
}

async function spool(queue: QueueStore, reversePath: string): Promise<string> {
  return await spoolMessage(queue, new TextEncoder().encode("Subject: late\r\n\r\nbody\r\n"), {
    envelope: envelope({ reversePath, recipients: ["rcpt@late.test"] }),
  });
}

Deno.test("MessageAttempt.run() sends one delay warning once delay_warning has passed, never a second, not after a restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "empath-delay-" });
  const clock = new ManualClock();
  const port = closedPort();
  try {
    let queue = await openKvQueue(`${dir}/queue.kv`, { clock });
    const id = await spool(queue, "alice@example.test");
    {
      await using attempt = attemptFor(queue, clock, port);
      const first = await attempt.run(id);
      assert.equal(first.recipients[0].status, "deferred");
      assert.equal(first.delayWarnedAt, undefined, "not before delay_warning");
      assert.equal(attempt.queued.length, 0);

      clock.advance(4 * HOUR);
      const warned = await attempt.run(id);
      assert.equal(warned.recipients[0].status, "deferred", "the message stays queued");
      assert.equal(warned.delayWarnedAt, clock.now(), "the record says the warning was sent");
      assert.equal(attempt.queued.length, 1);
      assert.equal(attempt.queued[0].action, "delayed");
      const dsn = (await queue.get(attempt.queued[0].id))!;
      assert.equal(dsn.reversePath, "");
      assert.deepEqual(dsn.recipients.map((r) => r.address), ["alice@example.test"]);
      const body = await new Response(queue.readBody(dsn.id)).text();
      assert.match(body, /\r\nFinal-Recipient: rfc822; rcpt@late\.test\r\nAction: delayed\r\n/);
      assert.match(body, /\r\nStatus: 4\.\d+\.\d+\r\n/);

      clock.advance(HOUR);
      await attempt.run(id);
      assert.equal(attempt.queued.length, 1, "no second warning on the next attempt");
    }
    await queue.close();

    queue = await openKvQueue(`${dir}/queue.kv`, { clock });
    await using restarted = attemptFor(queue, clock, port);
    clock.advance(HOUR);
    const after = await restarted.run(id);
    assert.equal(after.recipients[0].status, "deferred");
    assert.equal(restarted.queued.length, 0, "no second warning after a restart");
    assert.equal(await queue.count(), 2, "the original and the one warning");
    await queue.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("MessageAttempt.run() never sends a delay warning about a message from the null sender", async () => {
  const dir = await Deno.makeTempDir({ prefix: "empath-delay-" });
  const clock = new ManualClock();
  try {
    const queue = await openKvQueue(`${dir}/queue.kv`, { clock });
    const id = await spool(queue, "");
    {
      await using attempt = attemptFor(queue, clock, closedPort());
      await attempt.run(id);
      clock.advance(5 * HOUR);
      const late = await attempt.run(id);
      assert.equal(late.recipients[0].status, "deferred");
      assert.equal(late.delayWarnedAt, undefined);
      assert.equal(attempt.queued.length, 0);
      assert.equal(await queue.count(), 1, "only the message itself");
    }
    await queue.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
