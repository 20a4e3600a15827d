/**
 * The parts the composition root opens once at start and keeps until it stops: the queue, the
 * DNS cache, the DKIM signer, the audit trail and MTA-STS. Private to lib/app.ts.
 *
 * @module
 */
import type { Config } from "./config/mod.ts";
import { CachingResolver, DenoDnsBackend, parseNameServer } from "./dns/mod.ts";
import { DkimSigner, loadDkimKeys } from "./dkim/mod.ts";
import { HttpsPolicyFetcher, MtaStsPolicies } from "./mta_sts/mod.ts";
import {
  type AuditTrail,
  type EmpathMetrics,
  getLogger,
  type MailEvents,
  startAudit,
} from "./observe/mod.ts";
import { openKvQueue, type QueueStore } from "./queue/mod.ts";

const logger = getLogger(["empath", "app"]);

/**
 * MTA-STS for delivery: policies discovered through the DNS cache and fetched
 * over HTTPS with `[delivery.mta_sts]`'s trust store and proxy. Built even
 * when disabled, so that a reload can enable it.
 */
export function buildMtaSts(config: Config, dns: CachingResolver, caCerts?: readonly string[]) {
  const { proxy, cacheSize } = config.delivery.mtaSts;
  const fetcher = new HttpsPolicyFetcher({ caCerts, proxy });
  const policies = new MtaStsPolicies({ dns, fetcher, clock: { now: () => Date.now() } }, {
    maxEntries: cacheSize,
  });
  return { fetcher, policies, caCerts };
}

/** The DNS cache over `Deno.resolveDns`, with `[dns]`'s name server, timeout and TTLs. */
export function buildResolver(config: Config): CachingResolver {
  const backend = new DenoDnsBackend({
    nameServer: config.dns.nameServer ? parseNameServer(config.dns.nameServer) : undefined,
    timeoutMs: config.dns.timeout,
  });
  return new CachingResolver(backend, {
    clock: { now: () => Date.now() },
    positiveTtlMs: config.dns.cacheTtl,
    negativeTtlMs: config.dns.negativeTtl,
  });
}

/** Opens the queue of `[queue] path`, removes orphaned chunks and logs how many messages it holds. */
export async function openQueue(config: Config, metrics: EmpathMetrics): Promise<QueueStore> {
  const started = performance.now();
  const queue = await openKvQueue(config.queue.path, {
    clock: { now: () => Date.now() },
    onCommitted: (durationMs) => metrics.spoolCommitted(durationMs),
  }, { maxAgeMs: config.queue.maxAge });
  const orphans = await queue.cleanupOrphans();
  const count = await queue.count();
  logger.info("Queue {path} opened with {count} messages in {ms} ms", {
    path: config.queue.path,
    count,
    orphansRemoved: orphans,
    ms: Math.round(performance.now() - started),
  });
  return queue;
}

/** Loads the configured DKIM keys (a bad key file is a `ConfigError`) and logs each one. */
export async function loadDkimSigner(config: Config, source?: string): Promise<DkimSigner> {
  const keys = await loadDkimKeys(config.dkim, source);
  for (const key of keys) {
    logger.info("DKIM key {selector}._domainkey.{domain} ({algorithm}) loaded", {
      selector: key.selector,
      domain: key.domain,
      algorithm: key.algorithm,
    });
  }
  return new DkimSigner(keys);
}

/** The audit trail of `[observe.audit]`, following `events`; none when it is disabled. */
export async function openAudit(
  config: Config,
  events: MailEvents,
): Promise<AuditTrail | undefined> {
  const { enabled, ...options } = config.observe.audit;
  return enabled ? await startAudit(options, events) : undefined;
}
