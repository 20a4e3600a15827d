// The control routes' test fixture served on 127.0.0.1:0 (with reload and log levels), for the
// `empath control` tests.
import type { LogLevel } from "@logtape/logtape";
import { ConfigError } from "../lib/config/mod.ts";
import type { MailEvents } from "../lib/observe/mod.ts";
import { type ControlDeps, createControlApp } from "../lib/control/mod.ts";
import { ADMIN_TOKEN, openFixture } from "../lib/control/testing.ts";
import type { CircuitBreakers, RateLimiter } from "../lib/delivery/mod.ts";
import type { EnvelopeInit, QueueStore } from "../lib/queue/mod.ts";
import type { TlsReporting } from "../lib/tls_rpt/mod.ts";

/** The admin token the server accepts. */
export const TEST_TOKEN = ADMIN_TOKEN;

export interface TestControlServer {
  /** The base URL, `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly queue: QueueStore;
  readonly limiter: RateLimiter;
  readonly breakers: CircuitBreakers;
  readonly events: MailEvents;
  /** SMTP TLS Reporting behind `/v1/delivery/tls-rpt`. */
  readonly tlsRpt: TlsReporting;
  /** The log levels the API set, root under "". */
  readonly logLevels: Map<string, LogLevel | null>;
  /** The next reload's outcome: changes, or a {@linkcode ConfigError} to throw. */
  reloadResult: { path: string; before: unknown; after: unknown }[] | ConfigError;
  /** Spools a message and returns its id. */
  spool(overrides?: Partial<EnvelopeInit>): Promise<string>;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function startTestControlServer(): Promise<TestControlServer> {
  const fixture = await openFixture();
  const logLevels = new Map<string, LogLevel | null>([["", "info"]]);
  const state = {
    reloadResult: [] as TestControlServer["reloadResult"],
  };
  const deps: ControlDeps = {
    ...fixture.deps,
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
  };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    createControlApp(deps).fetch,
  );
  const { port } = server.addr as Deno.NetAddr;
  return {
    url: `http://127.0.0.1:${port}`,
    logLevels,
    get reloadResult() {
      return state.reloadResult;
    },
    set reloadResult(result) {
      state.reloadResult = result;
    },
    queue: fixture.queue,
    limiter: fixture.limiter,
    breakers: fixture.breakers,
    events: fixture.events,
    tlsRpt: fixture.tlsRpt,
    spool: (overrides = {}) => fixture.spool(undefined, overrides),
    [Symbol.asyncDispose]: async () => {
      await server.shutdown();
      await fixture[Symbol.asyncDispose]();
    },
  };
}
