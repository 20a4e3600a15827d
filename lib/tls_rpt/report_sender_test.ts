// TlsReportSender over a memory queue, a scripted DNS backend, the real mailer (into the queue)
// and the real HTTPS poster against a local HTTPS endpoint.
import assert from "node:assert/strict";
import { testCertificates } from "../../tests/support/certs.ts";
import { gunzipJson, reportAttachment, startReportCollector } from "../../tests/support/tls_rpt.ts";
import { CachingResolver } from "../dns/mod.ts";
import { FakeDnsBackend, ManualClock } from "../dns/testing.ts";
import { openMemoryQueue, type QueueStore } from "../queue/mod.ts";
import { HttpsReportPoster } from "./https_poster.ts";
import type { TlsReport } from "./report.ts";
import { QueueReportMailer } from "./report_mailer.ts";
import { TlsReportSender } from "./report_sender.ts";
import { TlsSessionRecorder } from "./session_recorder.ts";

const DAY = 86_400_000;
const SUBMITTER = {
  organization: "Example Inc.",
  contact: "tls-reports@mx.example.test",
  domain: "mx.example.test",
};
const NO_POLICY = { type: "no-policy-found", strings: [], mx: [] } as const;

async function setup() {
  const clock = new ManualClock(Date.UTC(2024, 2, 1, 12));
  const queue = openMemoryQueue({ clock });
  const backend = new FakeDnsBackend();
  const dns = new CachingResolver(backend, { clock });
  const recorder = new TlsSessionRecorder({ store: queue.tlsReports, clock }, { intervalMs: DAY });
  const mailer = new QueueReportMailer(queue, { hostname: "mx.example.test" });
  const poster = new HttpsReportPoster({ caCerts: [(await testCertificates()).caPem] });
  const sender = new TlsReportSender(
    { store: queue.tlsReports, dns, mailer, poster, clock },
    SUBMITTER,
  );
  const record = async (domain: string, failure?: { resultType: string }) => {
    recorder.record({ domain, policy: NO_POLICY, ...(failure ? { failure } : {}) });
    await recorder.flush();
  };
  return {
    clock,
    queue,
    backend,
    sender,
    record,
    async [Symbol.asyncDispose]() {
      poster.close();
      await queue.close();
    },
  };
}

/** The reports queued as email, oldest first. */
async function mailedReports(queue: QueueStore): Promise<TlsReport[]> {
  const reports: TlsReport[] = [];
  for (const message of (await queue.list()).messages) {
    const text = await new Response(queue.readBody(message.id)).text();
    reports.push(await gunzipJson(reportAttachment(text).gzip) as TlsReport);
  }
  return reports;
}

Deno.test("TlsReportSender.run() reports ended periods; includeCurrent reports up to now", async () => {
  await using env = await setup();
  env.backend.txt("_smtp._tls.example.org", ["v=TLSRPTv1; rua=mailto:tlsrpt@example.org"]);
  await env.record("example.org");
  assert.deepEqual(await env.sender.run(), { reports: 0, submitted: 0, failed: 0, pending: 0 });
  assert.deepEqual(await env.sender.run({ includeCurrent: true }), {
    reports: 1,
    submitted: 1,
    failed: 0,
    pending: 0,
  });
  await env.record("example.org", { resultType: "starttls-not-supported" });
  await env.record("example.org");
  env.clock.advance(DAY / 2 + 60_000);
  assert.equal((await env.sender.run()).reports, 1);
  const [early, rest] = await mailedReports(env.queue);
  assert.deepEqual(early["date-range"], {
    "start-datetime": "2024-03-01T00:00:00Z",
    "end-datetime": "2024-03-01T11:59:59Z",
  });
  assert.equal(early.policies[0].summary["total-successful-session-count"], 1);
  assert.deepEqual(rest["date-range"], {
    "start-datetime": "2024-03-01T12:00:00Z",
    "end-datetime": "2024-03-01T23:59:59Z",
  });
  assert.deepEqual(rest.policies[0].summary, {
    "total-successful-session-count": 1,
    "total-failure-session-count": 1,
  });
  assert.deepEqual(await env.queue.tlsReports.periods(), []);
  const [message] = (await env.queue.list()).messages;
  assert.equal(message.reversePath, "");
  assert.equal(message.receivedFrom.listener, "tls-rpt");
});

Deno.test("TlsReportSender.run() keeps a failed HTTPS submission and retries it at the next run", async () => {
  await using env = await setup();
  await using collector = await startReportCollector();
  collector.statuses.push(503);
  const uri = collector.url("/v1/tlsrpt");
  env.backend.txt("_smtp._tls.example.org", [`v=TLSRPTv1; rua=${uri}`]);
  await env.record("example.org");
  env.clock.advance(DAY);
  assert.deepEqual(await env.sender.run(), { reports: 1, submitted: 0, failed: 1, pending: 1 });
  assert.deepEqual(await env.queue.tlsReports.periods(), []);
  const [pending] = await env.queue.tlsReports.pending();
  assert.equal(pending.uri, uri);
  assert.equal(pending.attempts, 1);
  assert.deepEqual(await env.sender.run(), { reports: 0, submitted: 1, failed: 0, pending: 0 });
  assert.equal(collector.reports.length, 2);
  const [first, second] = collector.reports;
  assert.deepEqual(second.body, first.body);
  assert.equal(second.contentType, "application/tlsrpt+gzip");
  assert.equal(second.path, "/v1/tlsrpt");
  const report = await gunzipJson(second.body) as TlsReport;
  assert.equal(report["report-id"], "1709251200.1709337599.example.org@mx.example.test");
});

Deno.test("TlsReportSender.run() drops domains without a record, keeps counts on a DNS failure for 7 days", async () => {
  await using env = await setup();
  env.backend.set("_smtp._tls.b.test", "TXT", { kind: "temporary-failure", reason: "SERVFAIL" });
  env.backend.txt("_smtp._tls.c.test", ["v=TLSRPTv1; rua=ftp://c.test/x"]);
  await env.record("a.test");
  await env.record("b.test");
  await env.record("c.test");
  env.clock.advance(DAY);
  assert.deepEqual(await env.sender.run(), { reports: 0, submitted: 0, failed: 0, pending: 0 });
  assert.deepEqual((await env.queue.tlsReports.periods()).map((p) => p.domain), ["b.test"]);
  env.clock.advance(7 * DAY + 1);
  await env.sender.run();
  assert.deepEqual(await env.queue.tlsReports.periods(), []);
  assert.equal(await env.queue.count(), 0);
});

Deno.test("TlsReportSender.run() gives up on a mailto: URI that is not one address", async () => {
  await using env = await setup();
  env.backend.txt("_smtp._tls.example.org", ["v=TLSRPTv1; rua=mailto:not-an-address"]);
  await env.record("example.org");
  env.clock.advance(DAY);
  assert.deepEqual(await env.sender.run(), { reports: 1, submitted: 0, failed: 1, pending: 0 });
  assert.deepEqual(await env.queue.tlsReports.periods(), []);
});
