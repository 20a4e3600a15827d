/**
 * A control app over real memory-backed services (queue, rate limiter, circuit breakers,
 * DNS cache over a scripted backend, all on a manual clock), for the route tests and, served
 * on a port, for the `empath control` tests.
 *
 * @example Usage
 * ```ts
 * import { openFixture, READ_TOKEN } from "./testing.ts";
 * import assert from "node:assert/strict";
 *
 * await using fixture = await openFixture();
 * const id = await fixture.spool();
 * const response = await fixture.call(`/v1/queue/${id}`, { token: READ_TOKEN });
 * assert.equal(response.status, 200);
 * await response.body?.cancel();
 * ```
 *
 * @module
 */
import { MailEvents } from "../observe/mod.ts";
import { BounceSender, CircuitBreakers, RateLimiter } from "../delivery/mod.ts";
import { CachingResolver } from "../dns/mod.ts";
import { FakeDnsBackend } from "../dns/testing.ts";
import { openMemoryQueue, type QueueStore } from "../queue/mod.ts";
import { envelope, ManualClock, spoolMessage } from "../queue/testing.ts";
import type { EnvelopeInit } from "../queue/mod.ts";
import { createTlsReporting, type TlsReporting, tlsReportSubmitter } from "../tls_rpt/mod.ts";
import { createControlApp } from "./app.ts";
import type { ControlDelivery, ControlDeps } from "./deps.ts";
import { hashToken, TokenVerifier } from "./tokens.ts";

/** A token of scope `read` (name "ops"). */
export const READ_TOKEN = "read-token-0123456789";
/** A token of scope `inject` (name "app"). */
export const INJECT_TOKEN = "inject-token-0123456789";
/** A token of scope `admin` (name "root"), the default of `Fixture.call`. */
export const ADMIN_TOKEN = "admin-token-0123456789";

/** The app, its deps and the services behind them. */
export interface Fixture {
  app: ReturnType<typeof createControlApp>;
  deps: ControlDeps;
  queue: QueueStore;
  clock: ManualClock;
  limiter: RateLimiter;
  breakers: CircuitBreakers;
  dns: CachingResolver;
  backend: FakeDnsBackend;
  /** SMTP TLS Reporting over the queue and the DNS cache, enabled, one-day periods. */
  tlsRpt: TlsReporting;
  wakes: () => number;
  events: MailEvents;
  /** Spools a message and returns its id. */
  spool(body?: string, overrides?: Partial<EnvelopeInit>): Promise<string>;
  /** `app.request()` with a token. */
  call(
    path: string,
    init?: RequestInit & { token?: string | null; json?: unknown },
  ): Promise<Response>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Opens a control app over fresh memory-backed services; dispose of it to close the queue.
 *
 * @param options Request body limits of the app.
 */
export async function openFixture(
  options: { maxBody?: number; maxMessageSize?: number } = {},
): Promise<Fixture> {
  const clock = new ManualClock();
  const queue = openMemoryQueue({ clock });
  const limiter = new RateLimiter({ clock, defaults: { ratePerSecond: 10, burst: 20 } });
  const breakers = new CircuitBreakers({ clock, threshold: 2 });
  const backend = new FakeDnsBackend()
    .mx("example.org", [["mx.example.org", 10]])
    .a("mx.example.org", ["192.0.2.1"]);
  const dns = new CachingResolver(backend, { clock });
  let wakes = 0;
  const bounces = new BounceSender(queue, { hostname: "mx.example.test", now: () => clock.now() });
  const delivery: ControlDelivery = {
    limiter,
    breakers,
    inFlight: 2,
    wake: () => void wakes++,
    poolStats: () => ({ hits: 1, misses: 2, resetFailures: 0, expired: 0, size: 0 }),
    hosts: () => [{ host: "mx.example.org", active: 1, limit: 4 }],
    bounceUndelivered: (message, reason) => bounces.bounceUndelivered(message, reason),
  };
  const tokens = new TokenVerifier([
    { name: "ops", hash: await hashToken(READ_TOKEN), scope: "read" },
    { name: "app", hash: await hashToken(INJECT_TOKEN), scope: "inject" },
    { name: "root", hash: await hashToken(ADMIN_TOKEN), scope: "admin" },
  ]);
  const events = new MailEvents();
  const tlsRpt = createTlsReporting({
    enabled: true,
    intervalMs: 86_400_000,
    hostname: "mx.example.test",
    submitter: tlsReportSubmitter({ hostname: "mx.example.test" }),
  }, { queue, dns, clock, onQueued: () => void wakes++ });
  const deps: ControlDeps = {
    queue,
    delivery,
    events,
    dns,
    connections: () => [],
    tlsRpt,
    config: () => ({ hostname: "mx.example.test", auth: { users: [] } }),
    tokens,
    maxBody: options.maxBody ?? 1024,
    maxMessageSize: options.maxMessageSize ?? 100_000,
    hostname: "mx.example.test",
    version: "9.9.9",
    startedAt: clock.now() - 5_000,
    now: () => clock.now(),
  };
  const app = createControlApp(deps);
  return {
    app,
    deps,
    queue,
    clock,
    limiter,
    breakers,
    dns,
    backend,
    events,
    tlsRpt,
    wakes: () => wakes,
    spool: (body = "Subject: test\r\n\r\nHello\r\n", overrides = {}) =>
      spoolMessage(queue, new TextEncoder().encode(body), { envelope: envelope(overrides) }),
    call: (path, init = {}) => {
      const { token = ADMIN_TOKEN, json, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (token !== null) headers.set("Authorization", `Bearer ${token}`);
      if (json !== undefined) headers.set("Content-Type", "application/json");
      const body = json === undefined ? rest.body : JSON.stringify(json);
      return Promise.resolve(app.request(path, { ...rest, headers, body }));
    },
    [Symbol.asyncDispose]: async () => {
      await tlsRpt.stop();
      await queue.close();
    },
  };
}
