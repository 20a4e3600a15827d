import { defaultConfig } from "../../lib/config/mod.ts";
import type { Config } from "../../lib/config/mod.ts";
import { type Empath, startEmpath } from "../../lib/app.ts";

/** A running in-process Empath on a random loopback port with a temporary queue. */
export interface TestEmpath extends AsyncDisposable {
  readonly empath: Empath;
  readonly port: number;
  readonly ports: number[];
  readonly dir: string;
  readonly config: Config;
}

/**
 * Starts Empath in-process on 127.0.0.1 port 0 with a queue in a temp
 * directory. `configure` adjusts the default config before start.
 */
export async function startTestEmpath(configure?: (config: Config) => void): Promise<TestEmpath> {
  const dir = await Deno.makeTempDir({ prefix: "empath-test-" });
  const config = defaultConfig();
  config.hostname = "mx.empath.test";
  config.queue.path = `${dir}/queue.kv`;
  config.listen = [{
    address: "127.0.0.1:0",
    name: "smtp",
    starttls: true,
    auth: "disabled",
    dsn: true,
  }];
  // Receiving tests inspect the queue; delivery tests turn this back on.
  config.delivery.enabled = false;
  config.control.listen = "127.0.0.1:0";
  config.control.tokenFile = `${dir}/control.token`;
  config.routes = [{ domains: ["localhost"], kind: "maildir", path: `${dir}/maildir` }];
  // The audit trail would go to the test's stdout; tests/integration/audit_test.ts turns it on.
  config.observe.audit.enabled = false;
  configure?.(config);
  const empath = await startEmpath(config);
  return {
    empath,
    config,
    dir,
    port: empath.listeners[0].port,
    ports: empath.listeners.map((listener) => listener.port),
    async [Symbol.asyncDispose]() {
      await empath.stop(1000);
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** Reads a queued message's body as text. */
export async function bodyText(empath: Empath, id: string): Promise<string> {
  return await new Response(empath.queue.readBody(id)).text();
}

/** Reads a queued message's body as bytes. */
export async function bodyBytes(empath: Empath, id: string): Promise<Uint8Array> {
  return new Uint8Array(await new Response(empath.queue.readBody(id)).arrayBuffer());
}

/** Extracts the queue id from a `250 2.0.0 Ok: queued as <id>` reply. */
export function queuedId(reply: { code: number; raw: string }): string {
  const match = /queued as (\S+)/.exec(reply.raw);
  if (reply.code !== 250 || match === null) throw new Error(`Not a queued reply: ${reply.raw}`);
  return match[1];
}
