/**
 * Configuration reload for a running instance (SIGHUP, `POST /v1/config/reload`):
 * the new configuration is already fully validated; this applies what can
 * change at run time and reports the rest. Part of the composition root.
 *
 * @module
 */
import { type Config, type ConfigChange, diffConfig, redactConfig } from "./config/mod.ts";
import type { DeliveryEngine } from "./delivery/mod.ts";
import { type DkimSigner, loadDkimKeys } from "./dkim/mod.ts";
import { type HookRegistry, loadHooks } from "./hooks/mod.ts";
import { type AuditTrail, getLogger, ROOT_CATEGORY, setLogLevel } from "./observe/mod.ts";
import type { ConnectionServices, SmtpListener } from "./server/mod.ts";

const logger = getLogger(["empath", "config"]);

/** Settings that keep their start-up value until a restart. */
const RESTART_ONLY = [
  "queue.path",
  // The expiry is stamped on each message when it is queued, from the start-up value.
  "queue.maxAge",
  "control.",
  "dns.",
  "delivery.concurrency",
  "delivery.lease_time",
  "delivery.leaseTime",
  "delivery.timeouts",
  "delivery.circuitBreaker",
  "delivery.mtaSts.caFile",
  "delivery.mtaSts.proxy",
  "delivery.mtaSts.cacheSize",
  "delivery.tlsRpt",
  "limits.maxConnections",
  "observe.metrics",
  "observe.audit",
];

/** What a reload changed. */
export interface ReloadResult {
  /** Every changed setting (secrets redacted). */
  readonly changes: readonly ConfigChange[];
  /** Changed settings that apply only after a restart. */
  readonly restartRequired: readonly string[];
}

/** The parts of a running instance a reload touches. */
export interface Reloadable {
  config: Config;
  /** Listeners by their configured address. */
  readonly listeners: Map<string, SmtpListener>;
  readonly delivery: DeliveryEngine;
  /** The DKIM signer shared by the listeners and the control API. */
  readonly dkim: DkimSigner;
  /** The policy hooks shared by the listeners and delivery. */
  readonly hooks: HookRegistry;
  /** Where an applied reload is recorded (changed key paths, never values). */
  readonly audit?: Pick<AuditTrail, "record">;
  buildServices(config: Config): Promise<ConnectionServices>;
  startListener(
    config: Config,
    listen: Config["listen"][number],
    services: ConnectionServices,
  ): Promise<SmtpListener>;
  updateListener(
    listener: SmtpListener,
    config: Config,
    listen: Config["listen"][number],
    services: ConnectionServices,
  ): void;
}

/**
 * Applies `next` to `target`: relay policy, users, TLS certificates and SMTP
 * limits for new connections; listeners added, removed or rebound only when
 * their address changed; routes, per-domain delivery policies and rate limits;
 * DKIM keys; policy hooks; the log level. Builds everything that can fail (TLS and key files,
 * hook modules) before changing anything, so a failed reload leaves the old configuration
 * running.
 */
export async function applyReload(target: Reloadable, next: Config): Promise<ReloadResult> {
  const changes = diffConfig(redactConfig(target.config), redactConfig(next));
  // Key files are read again even when their paths did not change (a rotated key).
  const dkimKeys = await loadDkimKeys(next.dkim);
  // Hook modules are imported again (a changed file is a new module; see lib/hooks).
  const hooks = await loadHooks(next.hooks);
  const services = await target.buildServices(next);
  const wanted = new Map(next.listen.map((listen) => [listen.address, listen]));
  const started: [string, SmtpListener][] = [];
  for (const [address, listen] of wanted) {
    if (!target.listeners.has(address)) {
      started.push([address, await target.startListener(next, listen, services)]);
    }
  }
  for (const [address, listener] of [...target.listeners]) {
    const listen = wanted.get(address);
    if (listen === undefined) {
      target.listeners.delete(address);
      await listener.stop(10_000);
    } else target.updateListener(listener, next, listen, services);
  }
  for (const [address, listener] of started) target.listeners.set(address, listener);
  target.delivery.reconfigure(next);
  target.dkim.reconfigure(dkimKeys);
  target.hooks.replace(hooks);
  await setLogLevel(ROOT_CATEGORY, next.observe.log.level).catch(() => {});
  target.config = next;
  const restartRequired = changes.map((c) => c.path)
    .filter((path) => RESTART_ONLY.some((prefix) => path.startsWith(prefix)));
  target.audit?.record({
    event: "ConfigReloaded",
    changed: changes.map((change) => change.path),
    restart_required: restartRequired,
  });
  for (const change of changes) {
    logger.info("Config {path} changed: {before} → {after}", {
      path: change.path,
      before: JSON.stringify(change.before),
      after: JSON.stringify(change.after),
    });
  }
  if (restartRequired.length > 0) {
    logger.warn("Settings that apply after a restart: {paths}", {
      paths: restartRequired.join(", "),
    });
  }
  return { changes, restartRequired };
}
