import assert from "node:assert/strict";
import { MailEvents } from "./events.ts";
import type { MetricSources } from "./metric_ports.ts";
import { EmpathMetrics } from "./metrics.ts";
import { parseSamples, type Sample, sampleValue } from "./testing.ts";
import { DEFAULT_MAX_DOMAINS } from "./domain_labels.ts";

function metrics(options: { maxDomains?: number; now?: () => number } = {}) {
  return new EmpathMetrics({ version: "9.9.9", lagIntervalMs: 0, ...options });
}

/** Sources with counters a test can move; counts queue scans. */
function fakeSources(overrides: Partial<MetricSources> = {}) {
  const counts = { scans: 0 };
  const sources: MetricSources = {
    queue: {
      stats: () => {
        counts.scans++;
        return Promise.resolve({
          byState: { queued: 3, held: 1 },
          bytes: 4096,
          oldestCreatedAt: 0,
        });
      },
    },
    delivery: {
      inFlight: 2,
      breakers: {
        states: () => [{ state: "open" }, { state: "closed" }, { state: "open" }],
        counters: () => ({ trips: 5, recoveries: 3 }),
      },
      poolStats: () => ({ hits: 7, misses: 2, size: 1 }),
    },
    dns: { stats: () => ({ hits: 10, misses: 4, errors: 1, entries: 6 }) },
    ...overrides,
  };
  return { sources, counts };
}

Deno.test("EmpathMetrics counts SMTP connections, rejections, transactions and replies", async () => {
  await using subject = metrics();
  const smtp = subject.smtp;
  smtp.connectionOpened("smtp");
  smtp.connectionOpened("smtp");
  smtp.connectionOpened("submission");
  smtp.connectionClosed("smtp");
  smtp.connectionRejected("smtp", "per-ip-limit");
  smtp.transactionStarted("smtp");
  smtp.messageReceived("smtp", 1234);
  smtp.messageReceived("smtp", 66);
  for (const code of [220, 250, 250, 354, 451, 550, 550]) smtp.replySent(code);
  smtp.tlsHandshake("smtp", true);
  smtp.tlsHandshake("smtp", false);
  const text = await subject.scrape();
  const value = (name: string, labels?: Record<string, string>) => sampleValue(text, name, labels);
  assert.equal(value("empath_smtp_connections_total", { listener: "smtp" }), 2);
  assert.equal(value("empath_smtp_connections_total"), 3);
  assert.equal(value("empath_smtp_open_connections", { listener: "smtp" }), 1);
  assert.equal(value("empath_smtp_open_connections", { listener: "submission" }), 1);
  assert.equal(
    value("empath_smtp_connections_rejected_total", { listener: "smtp", reason: "per-ip-limit" }),
    1,
  );
  assert.equal(value("empath_smtp_transactions_total"), 1);
  assert.equal(value("empath_smtp_messages_received_total", { listener: "smtp" }), 2);
  assert.equal(value("empath_smtp_received_bytes_total", { listener: "smtp" }), 1300);
  assert.equal(value("empath_smtp_replies_total", { class: "2xx" }), 3);
  assert.equal(value("empath_smtp_replies_total", { class: "3xx" }), 1);
  assert.equal(value("empath_smtp_replies_total", { class: "4xx" }), 1);
  assert.equal(value("empath_smtp_replies_total", { class: "5xx" }), 2);
  assert.equal(value("empath_smtp_tls_handshakes_total"), 2);
  assert.equal(value("empath_smtp_tls_handshake_failures_total"), 1);
  assert.equal(value("empath_build_info", { version: "9.9.9" }), 1);
});

Deno.test("EmpathMetrics counts delivery results from MailEvents with capped domain labels", async () => {
  await using subject = metrics({ maxDomains: 2 });
  const events = new MailEvents();
  subject.watch(events);
  const publish = (type: "delivered" | "deferred" | "bounced" | "attempt", domain: string) =>
    events.publish({ type, id: "m", at: 0, domain, recipient: `x@${domain}` });
  publish("delivered", "a.example");
  publish("deferred", "b.example");
  publish("delivered", "c.example");
  publish("bounced", "d.example");
  publish("delivered", "A.example");
  publish("attempt", "a.example"); // not a per-recipient result
  const text = await subject.scrape();
  const attempts = (labels: Record<string, string>) =>
    sampleValue(text, "empath_delivery_attempts_total", labels);
  assert.equal(attempts({ domain: "a.example", result: "delivered" }), 2);
  assert.equal(attempts({ domain: "b.example", result: "deferred" }), 1);
  assert.equal(attempts({ domain: "other", result: "delivered" }), 1);
  assert.equal(attempts({ domain: "other", result: "failed" }), 1);
  const domains = new Set(
    parseSamples(text).filter((s) => s.labels.domain !== undefined).map((s) => s.labels.domain),
  );
  assert.deepEqual([...domains].sort(), ["a.example", "b.example", "other"]);
});

Deno.test("EmpathMetrics caps the domain label of retries and rate limits too", async () => {
  await using subject = metrics({ maxDomains: 1 });
  const delivery = subject.delivery;
  delivery.attemptStarted("a.example", true);
  delivery.attemptStarted("a.example", false);
  delivery.attemptStarted("b.example", true);
  delivery.rateLimited("c.example", 1500);
  delivery.rateLimited("a.example", 200);
  delivery.bounceQueued();
  const text = await subject.scrape();
  assert.equal(sampleValue(text, "empath_delivery_retries_total", { domain: "a.example" }), 1);
  assert.equal(sampleValue(text, "empath_delivery_retries_total", { domain: "other" }), 1);
  assert.equal(sampleValue(text, "empath_delivery_rate_limited_total", { domain: "other" }), 1);
  assert.equal(sampleValue(text, "empath_delivery_rate_limited_total", { domain: "a.example" }), 1);
  assert.equal(sampleValue(text, "empath_delivery_rate_limit_delay_seconds_sum"), 1.7);
  assert.equal(
    sampleValue(text, "empath_delivery_rate_limit_delay_seconds_bucket", { le: "1" }),
    1,
  );
  assert.equal(sampleValue(text, "empath_delivery_bounces_total"), 1);
});

Deno.test("EmpathMetrics counts bounces by action: failed by default, delayed for delay warnings", async () => {
  await using subject = metrics();
  subject.delivery.bounceQueued();
  subject.delivery.bounceQueued("failed");
  subject.delivery.bounceQueued("delayed");
  const text = await subject.scrape();
  assert.equal(sampleValue(text, "empath_delivery_bounces_total", { action: "failed" }), 2);
  assert.equal(sampleValue(text, "empath_delivery_bounces_total", { action: "delayed" }), 1);
});

Deno.test("EmpathMetrics counts MTA-STS failures by domain, mode and failure", async () => {
  await using subject = metrics({ maxDomains: 1 });
  subject.delivery.mtaStsFailure("a.example", "enforce", "certificate");
  subject.delivery.mtaStsFailure("a.example", "enforce", "certificate");
  subject.delivery.mtaStsFailure("b.example", "testing", "mx-mismatch");
  const text = await subject.scrape();
  const failures = (labels: Record<string, string>) =>
    sampleValue(text, "empath_delivery_mta_sts_failures_total", labels);
  assert.equal(failures({ domain: "a.example", mode: "enforce", failure: "certificate" }), 2);
  assert.equal(failures({ domain: "other", mode: "testing", failure: "mx-mismatch" }), 1);
});

Deno.test("EmpathMetrics records latency histograms in seconds", async () => {
  await using subject = metrics();
  subject.spoolCommitted(250);
  subject.spoolCommitted(500);
  subject.delivery.recipientDelivered(1_000, 91_000);
  const text = await subject.scrape();
  const commit = "empath_queue_spool_commit_duration_seconds";
  assert.equal(sampleValue(text, `${commit}_count`), 2);
  assert.equal(sampleValue(text, `${commit}_sum`), 0.75);
  assert.equal(sampleValue(text, `${commit}_bucket`, { le: "0.1" }), 0);
  assert.equal(sampleValue(text, `${commit}_bucket`, { le: "0.25" }), 1);
  assert.equal(sampleValue(text, `${commit}_bucket`, { le: "+Inf" }), 2);
  const latency = "empath_delivery_latency_seconds";
  assert.equal(sampleValue(text, `${latency}_sum`), 90);
  assert.equal(sampleValue(text, `${latency}_bucket`, { le: "60" }), 0);
  assert.equal(sampleValue(text, `${latency}_bucket`, { le: "120" }), 1);
});

Deno.test("EmpathMetrics.observe() reads the services at scrape time", async () => {
  await using subject = metrics({ now: () => 30_000 });
  const { sources } = fakeSources();
  subject.observe(sources);
  const text = await subject.scrape();
  const value = (name: string, labels?: Record<string, string>) => sampleValue(text, name, labels);
  assert.equal(value("empath_queue_messages", { state: "queued" }), 3);
  assert.equal(value("empath_queue_messages", { state: "held" }), 1);
  assert.equal(value("empath_queue_size_bytes"), 4096);
  assert.equal(value("empath_queue_oldest_message_age_seconds"), 30);
  assert.equal(value("empath_delivery_in_flight"), 2);
  assert.equal(value("empath_delivery_circuit_breakers", { state: "open" }), 2);
  assert.equal(value("empath_delivery_circuit_breakers", { state: "half-open" }), 0);
  assert.equal(value("empath_delivery_circuit_breaker_trips_total"), 5);
  assert.equal(value("empath_delivery_circuit_breaker_recoveries_total"), 3);
  assert.equal(value("empath_delivery_pool_hits_total"), 7);
  assert.equal(value("empath_delivery_pool_misses_total"), 2);
  assert.equal(value("empath_delivery_pool_idle_connections"), 1);
  assert.equal(value("empath_dns_cache_hits_total"), 10);
  assert.equal(value("empath_dns_cache_misses_total"), 4);
  assert.equal(value("empath_dns_lookup_errors_total"), 1);
  assert.equal(value("empath_dns_cache_entries"), 6);
  assert.ok(value("empath_process_memory_bytes", { kind: "rss" })! > 0);
});

Deno.test("EmpathMetrics scans the queue once per stats interval, not per scrape", async () => {
  let now = 0;
  await using subject = new EmpathMetrics({
    lagIntervalMs: 0,
    queueStatsTtlMs: 10_000,
    now: () => now,
  });
  const { sources, counts } = fakeSources();
  subject.observe(sources);
  await Promise.all([subject.scrape(), subject.scrape()]);
  now = 9_999;
  await subject.scrape();
  assert.equal(counts.scans, 1);
  now = 10_000;
  const text = await subject.scrape();
  assert.equal(counts.scans, 2);
  assert.equal(sampleValue(text, "empath_queue_oldest_message_age_seconds"), 10);
});

Deno.test("EmpathMetrics.scrape() leaves out a failing source and keeps the others", async () => {
  await using subject = metrics();
  const { sources } = fakeSources({
    queue: { stats: () => Promise.reject(new Error("KV is gone")) },
  });
  subject.observe(sources);
  const text = await subject.scrape();
  assert.equal(sampleValue(text, "empath_queue_messages"), undefined);
  assert.equal(sampleValue(text, "empath_dns_cache_hits_total"), 10);
});

Deno.test("EmpathMetrics reports the free space of the queue's file system", async () => {
  await using subject = metrics();
  const dir = await Deno.makeTempDir({ prefix: "empath-metrics-" });
  try {
    subject.observe({ ...fakeSources().sources, queuePath: `${dir}/queue.kv` });
    const text = await subject.scrape();
    const avail = sampleValue(text, "empath_queue_filesystem_avail_bytes")!;
    const size = sampleValue(text, "empath_queue_filesystem_size_bytes")!;
    assert.ok(avail > 0 && size >= avail, `avail ${avail}, size ${size}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("EmpathMetrics samples event-loop lag and stops when shut down", async () => {
  const subject = new EmpathMetrics({ lagIntervalMs: 5 });
  const events = new MailEvents();
  subject.watch(events);
  const busyUntil = performance.now() + 30;
  await new Promise((resolve) => setTimeout(resolve, 10));
  while (performance.now() < busyUntil) {
    // keep the event loop busy so the sampler fires late
  }
  await new Promise((resolve) => setTimeout(resolve, 20));
  const text = await subject.scrape();
  assert.ok(sampleValue(text, "empath_process_event_loop_lag_seconds_count")! >= 1);
  await subject.shutdown();
  assert.equal(events.subscribers, 0);
});

Deno.test("EmpathMetrics starts fixed series at 0, so rate() works before any traffic", async () => {
  await using subject = new EmpathMetrics({ listeners: ["smtp"], lagIntervalMs: 0 });
  const text = await subject.scrape();
  assert.equal(sampleValue(text, "empath_smtp_connections_total", { listener: "smtp" }), 0);
  assert.equal(
    sampleValue(text, "empath_smtp_connections_rejected_total", { reason: "global-limit" }),
    0,
  );
  assert.equal(sampleValue(text, "empath_smtp_replies_total", { class: "5xx" }), 0);
  assert.equal(sampleValue(text, "empath_control_auth_failures_total"), 0);
  assert.equal(sampleValue(text, "empath_delivery_bounces_total"), 0);
  assert.equal(sampleValue(text, "empath_delivery_bounces_total", { action: "delayed" }), 0);
});

Deno.test("EmpathMetrics keeps 1,000 recipient domains to max_domains labels plus other, every count kept", async () => {
  await using subject = metrics(); // the default cap, [observe.metrics] max_domains = 100
  const events = new MailEvents();
  subject.watch(events);
  const domains = Array.from({ length: 1000 }, (_, i) => `d${i}.example`);
  const result = (i: number) => i % 3 === 0 ? "deferred" : "delivered";
  for (const [i, domain] of domains.entries()) {
    subject.delivery.attemptStarted(domain, true);
    subject.delivery.rateLimited(domain, 100);
    events.publish({ type: result(i), id: "m", at: 0, domain, recipient: `x@${domain}` });
  }
  const samples = parseSamples(await subject.scrape());
  const named = new Set(domains.slice(0, DEFAULT_MAX_DOMAINS));
  for (
    const name of [
      "empath_delivery_attempts_total",
      "empath_delivery_retries_total",
      "empath_delivery_rate_limited_total",
    ]
  ) {
    const series = samples.filter((sample) => sample.name === name);
    const labels = new Set(series.map((sample) => sample.labels.domain));
    assert.equal(labels.size, DEFAULT_MAX_DOMAINS + 1, `${name}: 100 domains and "other"`);
    // The first domains seen keep their label; every later one is "other".
    assert.deepEqual([...labels].filter((label) => !named.has(label)), ["other"]);
    const sum = (list: Sample[]) => list.reduce((total, sample) => total + sample.value, 0);
    assert.equal(sum(series), 1000, `${name}: no count lost`);
    assert.equal(sum(series.filter((s) => s.labels.domain === "other")), 900);
    for (const sample of series.filter((s) => s.labels.domain !== "other")) {
      const i = Number(sample.labels.domain.slice(1, -".example".length));
      const expected = name === "empath_delivery_attempts_total"
        ? (sample.labels.result === result(i) ? 1 : 0)
        : 1;
      assert.equal(sample.value, expected, `${name} ${JSON.stringify(sample.labels)}`);
    }
  }
  const attempts = samples.filter((s) => s.name === "empath_delivery_attempts_total");
  const other = (result: string) =>
    attempts.find((s) => s.labels.domain === "other" && s.labels.result === result)?.value;
  // 334 of the 1,000 are deferred (i % 3 === 0), 34 of them among the first 100.
  assert.equal(other("deferred"), 300);
  assert.equal(other("delivered"), 600);
});
