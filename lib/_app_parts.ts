/**
 * The parts the composition root loads or opens once at start and keeps until it stops: the
 * files read before anything opens (DKIM keys, hook modules, the MTA-STS trust store), the
 * metrics, the queue, the DNS cache, the event bus, the audit trail and MTA-STS. Private to
 * lib/app.ts.
 *
 * @module
 */
import type { Config } from "./config/mod.ts";
import { CachingResolver, parseNameServer, WireDnsBackend } from "./dns/mod.ts";
import { DkimSigner, loadDkimKeys } from "./dkim/mod.ts";
import { HookRegistry, loadHooks } from "./hooks/mod.ts";
import {
  HttpsPolicyFetcher,
  loadCaFile,
  MtaStsPolicies,
  type PolicyFetcher,
} from "./mta_sts/mod.ts";
import {
  type AuditTrail,
  EmpathMetrics,
  getLogger,
  MailEvents,
  startAudit,
} from "./observe/mod.ts";
import { openKvQueue, type QueueStore } from "./queue/mod.ts";
import { VERSION } from "./version.ts";

const logger = getLogger(["empath", "app"]);

/** What start reads from files before anything opens. */
export interface StartupFiles {
  /** The signer over the configured DKIM keys. */
  readonly dkim: DkimSigner;
  /** The policy hooks of the configured modules. */
  readonly hooks: HookRegistry;
  /** `[delivery.mta_sts] ca_file`'s certificates, when it is set. */
  readonly mtaStsCaCerts?: readonly string[];
  /** `[delivery.tls_rpt] ca_file`'s certificates, when it is set. */
  readonly tlsRptCaCerts?: readonly string[];
}

/**
 * Reads the DKIM keys, the hook modules and the MTA-STS trust store. It runs before anything
 * opens, so that a bad key file or a hook module that cannot be imported is a configuration
 * error (`ConfigError`) with nothing to close.
 */
export async function loadStartupFiles(config: Config, source?: string): Promise<StartupFiles> {
  const dkim = await loadDkimSigner(config, source);
  const hooks = new HookRegistry(await loadHooks(config.hooks, source));
  const { caFile } = config.delivery.mtaSts;
  const mtaStsCaCerts = caFile === undefined ? undefined : await loadCaFile(caFile, source);
  const rptCaFile = config.delivery.tlsRpt.caFile;
  const tlsRptCaCerts = rptCaFile === undefined
    ? undefined
    : await loadCaFile(rptCaFile, source, "delivery.tls_rpt.ca_file");
  return { dkim, hooks, mtaStsCaCerts, tlsRptCaCerts };
}

/** What start opens and keeps until the instance stops. */
export interface Stores {
  readonly metrics: EmpathMetrics;
  readonly queue: QueueStore;
  readonly dns: CachingResolver;
  readonly events: MailEvents;
  /** The audit trail; none when `[observe.audit]` is disabled. */
  readonly audit?: AuditTrail;
}

/**
 * Starts the metrics, opens the queue, builds the DNS cache and the event bus, and opens the
 * audit trail. When a step fails, what the earlier ones opened is closed before the error is
 * rethrown.
 */
export async function openStores(config: Config, now: () => number): Promise<Stores> {
  const metrics = new EmpathMetrics({
    maxDomains: config.observe.metrics.maxDomains,
    listeners: config.listen.map((listen) => listen.name),
    version: VERSION,
    now,
  });
  const queue = await openQueue(config, metrics).catch(async (error) => {
    await metrics.shutdown();
    throw error;
  });
  const dns = buildResolver(config);
  const events = new MailEvents();
  const audit = await openAudit(config, events).catch(async (error) => {
    await queue.close();
    await metrics.shutdown();
    throw error;
  });
  return { metrics, queue, dns, events, audit };
}

/**
 * MTA-STS for delivery: policies discovered through the DNS cache and fetched
 * over HTTPS with `[delivery.mta_sts]`'s trust store and proxy (its failures
 * seen by `observeFetcher`: TLS reporting). Built even when disabled, so that a
 * reload can enable it.
 */
export function buildMtaSts(
  config: Config,
  dns: CachingResolver,
  caCerts?: readonly string[],
  observeFetcher: (fetcher: PolicyFetcher) => PolicyFetcher = (fetcher) => fetcher,
) {
  const { proxy, cacheSize } = config.delivery.mtaSts;
  const fetcher = new HttpsPolicyFetcher({ caCerts, proxy });
  const observed = observeFetcher(fetcher);
  const policies = new MtaStsPolicies(
    { dns, fetcher: observed, clock: { now: () => Date.now() } },
    {
      maxEntries: cacheSize,
    },
  );
  return { fetcher, policies, caCerts };
}

/**
 * The DNS cache over the wire-format client, with `[dns]`'s name server (the ones of
 * /etc/resolv.conf when unset), timeout and TTLs.
 */
function buildResolver(config: Config): CachingResolver {
  const backend = new WireDnsBackend({
    nameServers: config.dns.nameServer ? [parseNameServer(config.dns.nameServer)] : undefined,
    timeoutMs: config.dns.timeout,
  });
  return new CachingResolver(backend, {
    clock: { now: () => Date.now() },
    positiveTtlMs: config.dns.cacheTtl,
    negativeTtlMs: config.dns.negativeTtl,
  });
}

/** Opens the queue of `[queue] path`, removes orphaned chunks and logs how many messages it holds. */
async function openQueue(config: Config, metrics: EmpathMetrics): Promise<QueueStore> {
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
async function loadDkimSigner(config: Config, source?: string): Promise<DkimSigner> {
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
async function openAudit(
  config: Config,
  events: MailEvents,
): Promise<AuditTrail | undefined> {
  const { enabled, ...options } = config.observe.audit;
  return enabled ? await startAudit(options, events) : undefined;
}
