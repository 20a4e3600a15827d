// A real control API on 127.0.0.1:0 over memory-backed services, for the `empath control` tests.
import type { LogLevel } from "@logtape/logtape";
import { ConfigError } from "../lib/config/mod.ts";
import { MailEvents } from "../lib/observe/mod.ts";
import {
  type ControlDeps,
  createControlApp,
  hashToken,
  TokenVerifier,
} from "../lib/control/mod.ts";
import { BounceSender, CircuitBreakers, RateLimiter } from "../lib/delivery/mod.ts";
import { CachingResolver } from "../lib/dns/mod.ts";
import { FakeDnsBackend } from "../lib/dns/testing.ts";
import { type EnvelopeInit, openMemoryQueue, type QueueStore } from "../lib/queue/mod.ts";
import { envelope, ManualClock, spoolMessage } from "../lib/queue/testing.ts";

export const TEST_TOKEN = "cli-admin-token-0123456789";

export interface TestControlServer {
  /** The base URL, `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly queue: QueueStore;
  readonly limiter: RateLimiter;
  readonly breakers: CircuitBreakers;
  readonly events: MailEvents;
  /** The log levels the API set, root under "". */
  readonly logLevels: Map<string, LogLevel | null>;
  /** The next reload's outcome: changes, or a {@linkcode ConfigError} to throw. */
  reloadResult: { path: string; before: unknown; after: unknown }[] | ConfigError;
  /** Spools a message and returns its id. */
  spool(overrides?: Partial<EnvelopeInit>): Promise<string>;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function startTestControlServer(): Promise<TestControlServer> {
  const clock = new ManualClock();
  const queue = openMemoryQueue({ clock });
  const limiter = new RateLimiter({ clock, defaults: { ratePerSecond: 10, burst: 20 } });
  const breakers = new CircuitBreakers({ clock, threshold: 2 });
  const backend = new FakeDnsBackend()
    .mx("example.org", [["mx.example.org", 10]])
    .a("mx.example.org", ["192.0.2.1"]);
  const events = new MailEvents();
  const bounces = new BounceSender(queue, { hostname: "mx.example.test", now: () => clock.now() });
  const logLevels = new Map<string, LogLevel | null>([["", "info"]]);
  const state = {
    reloadResult: [] as TestControlServer["reloadResult"],
  };
  const deps: ControlDeps = {
    reload: () => {
      const result = state.reloadResult;
      if (result instanceof ConfigError) return Promise.reject(result);
      return Promise.resolve({ changes: result, restartRequired: [] });
    },
    logging: {
      levels: () => ({
        level: logLevels.get("") ?? null,
        categories: [...logLevels].filter(([name]) => name !== "").map(([category, level]) => ({
          category,
          level,
        })),
      }),
      set: (category, level) => {
        const name = category.join(".");
        logLevels.set(name === "empath" ? "" : name, level);
        return Promise.resolve();
      },
    },
    queue,
    events,
    delivery: {
      limiter,
      breakers,
      inFlight: 0,
      wake: () => {},
      poolStats: () => ({ hits: 0, misses: 0, resetFailures: 0, expired: 0, size: 0 }),
      hosts: () => [],
      bounceUndelivered: (message, reason) => bounces.bounceUndelivered(message, reason),
    },
    dns: new CachingResolver(backend, { clock }),
    connections: () => [],
    config: () => ({ hostname: "mx.example.test" }),
    tokens: new TokenVerifier([
      { name: "root", hash: await hashToken(TEST_TOKEN), scope: "admin" },
    ]),
    maxBody: 1024,
    maxMessageSize: 100_000,
    hostname: "mx.example.test",
    version: "9.9.9",
    startedAt: clock.now(),
    now: () => clock.now(),
  };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    createControlApp(deps).fetch,
  );
  const { port } = server.addr as Deno.NetAddr;
  const body = new TextEncoder().encode("Subject: test\r\n\r\nHello\r\n");
  return {
    url: `http://127.0.0.1:${port}`,
    logLevels,
    get reloadResult() {
      return state.reloadResult;
    },
    set reloadResult(result) {
      state.reloadResult = result;
    },
    queue,
    limiter,
    breakers,
    events,
    spool: (overrides = {}) => spoolMessage(queue, body, { envelope: envelope(overrides) }),
    [Symbol.asyncDispose]: async () => {
      await server.shutdown();
      await queue.close();
    },
  };
}
