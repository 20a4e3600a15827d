// SMTP TLS Reporting (RFC 8460) end to end in one process: dnsmasq serves the MX, _mta-sts and
// _smtp._tls records; a local HTTPS server (reached through a CONNECT proxy) serves the MTA-STS
// enforce policies of two recipient domains whose MX host, a python aiosmtpd peer, offers no
// STARTTLS. The deliveries fail with starttls-not-supported; `POST /v1/delivery/tls-rpt/send`
// then sends one domain's report by email (to a mailbox on the same peer, through the normal
// queue and MX delivery) and the other's to a local HTTPS endpoint.
import assert from "node:assert/strict";
import { startEmpath } from "../../lib/app.ts";
import { hashToken } from "../../lib/control/mod.ts";
import { formatPolicy } from "../../lib/mta_sts/mod.ts";
import { openKvQueue } from "../../lib/queue/mod.ts";
import { sampleValue } from "../../lib/observe/testing.ts";
import { testCertificates } from "../support/certs.ts";
import { type DnsmasqRecords, skipWithoutDnsmasq, startDnsmasq } from "../support/dnsmasq.ts";
import { queuedId, startTestEmpath, type TestEmpath } from "../support/empath.ts";
import { deliverUnderMtaSts, startPolicyHost } from "../support/mta_sts.ts";
import { skipWithout } from "../support/peers.ts";
import { startAiosmtpd } from "../support/sink.ts";
import { sendMessage, TestSmtpClient } from "../support/smtp_client.ts";
import { gunzipJson, reportAttachment, startReportCollector } from "../support/tls_rpt.ts";
import { eventually } from "../support/wait.ts";

const IGNORE = skipWithoutDnsmasq() || skipWithout("python3", "python3-aiosmtpd");
const ADMIN_TOKEN = "tls-rpt-admin-token-0123456789";
/** The recipient domains: reports by email, and by HTTPS. */
const MAILTO = "sts.test";
const HTTPS = "sts2.test";

function records(collectorUrl: string): DnsmasqRecords {
  return {
    mx: [
      { domain: MAILTO, exchange: `mx.${MAILTO}`, preference: 10 },
      { domain: HTTPS, exchange: `mx.${HTTPS}`, preference: 10 },
      { domain: "reports.test", exchange: "mx.reports.test", preference: 10 },
    ],
    a: [
      { name: `mx.${MAILTO}`, address: "127.0.0.1" },
      { name: `mx.${HTTPS}`, address: "127.0.0.1" },
      { name: "mx.reports.test", address: "127.0.0.1" },
    ],
    txt: [
      { name: `_mta-sts.${MAILTO}`, text: "v=STSv1; id=1" },
      { name: `_mta-sts.${HTTPS}`, text: "v=STSv1; id=2" },
      // dnsmasq splits TXT strings at commas: one destination per domain.
      { name: `_smtp._tls.${MAILTO}`, text: "v=TLSRPTv1; rua=mailto:tlsrpt@reports.test" },
      { name: `_smtp._tls.${HTTPS}`, text: `v=TLSRPTv1; rua=${collectorUrl}` },
    ],
  };
}

function policy(domain: string) {
  return { body: formatPolicy({ mode: "enforce", mx: [`mx.${domain}`], maxAge: 86_400 }) };
}

async function setup() {
  const certs = await testCertificates();
  const collector = await startReportCollector();
  const dns = await startDnsmasq(records(collector.url("/tlsrpt")));
  const host = await startPolicyHost([MAILTO, HTTPS], {
    [MAILTO]: policy(MAILTO),
    [HTTPS]: policy(HTTPS),
  });
  const peer = await startAiosmtpd();
  const hash = await hashToken(ADMIN_TOKEN);
  const server = await startTestEmpath((config) => {
    deliverUnderMtaSts(config, {
      peerPort: peer.port,
      dnsPort: dns.nameServer.port,
      caFile: certs.caCert,
      proxyUrl: host.proxyUrl,
    });
    config.delivery.tlsRpt = {
      enabled: true,
      interval: 86_400_000,
      organization: "Empath Test",
      contact: "tlsrpt-admin@mx.empath.test",
      caFile: certs.caCert,
    };
    config.control.tokens = [{ name: "root", hash, scope: "admin" }];
  });
  return {
    collector,
    peer,
    server,
    async [Symbol.asyncDispose]() {
      await server[Symbol.asyncDispose]();
      await peer[Symbol.asyncDispose]();
      await host[Symbol.asyncDispose]();
      await dns[Symbol.asyncDispose]();
      await collector[Symbol.asyncDispose]();
    },
  };
}

async function submit(server: TestEmpath, recipients: string[]): Promise<string> {
  await using client = await TestSmtpClient.connect(server.port);
  await client.reply();
  await client.command("EHLO submit.test");
  const reply = await sendMessage(client, {
    from: "sender@origin.test",
    to: recipients,
    body: "Subject: tls-rpt\r\n\r\nhello",
  });
  return queuedId(reply);
}

async function control(
  control: { hostname: string; port: number },
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  return await fetch(`http://${control.hostname}:${control.port}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
  });
}

/** The failure RFC 8460 expects for an MX host without STARTTLS under an enforce policy. */
function expectedPolicy(domain: string) {
  return {
    policy: {
      "policy-type": "sts",
      "policy-string": ["version: STSv1", "mode: enforce", `mx: mx.${domain}`, "max_age: 86400"],
      "policy-domain": domain,
      "mx-host": [`mx.${domain}`],
    },
    summary: { "total-successful-session-count": 0, "total-failure-session-count": 1 },
    "failure-details": [{
      "result-type": "starttls-not-supported",
      "sending-mta-ip": "127.0.0.1",
      "receiving-mx-hostname": `mx.${domain}`,
      "receiving-ip": "127.0.0.1",
      "failed-session-count": 1,
    }],
  };
}

Deno.test({
  name:
    "TLS reporting: a starttls-not-supported failure is counted, kept over a restart and reported by mailto: and https:",
  ignore: IGNORE,
  async fn() {
    await using env = await setup();
    const id = await submit(env.server, [`rcpt@${MAILTO}`, `rcpt@${HTTPS}`]);
    const counts = await eventually(async () => {
      const answer = await (await control(env.server.empath.control, "/v1/delivery/tls-rpt"))
        .json();
      return answer.periods.length === 2 ? answer : undefined;
    });
    assert.deepEqual(counts.periods.map((p: { domain: string }) => p.domain), [MAILTO, HTTPS]);
    assert.deepEqual(counts.periods[0].policies[0].failures, [{
      resultType: "starttls-not-supported",
      receivingMxHostname: `mx.${MAILTO}`,
      receivingIp: "127.0.0.1",
      sendingMtaIp: "127.0.0.1",
      count: 1,
    }]);
    const message = await env.server.empath.queue.get(id);
    assert.deepEqual(message?.recipients.map((r) => r.lastReply?.enhanced), ["4.7.5", "4.7.5"]);

    // The counts live in the queue's database: a restart keeps them.
    await env.server.empath.stop();
    await using restarted = await startEmpath(env.server.config);
    const sent = await control(restarted.control, "/v1/delivery/tls-rpt/send", { method: "POST" });
    assert.equal(sent.status, 200);
    assert.deepEqual(await sent.json(), { reports: 2, submitted: 2, failed: 0, pending: 0 });

    const [posted] = env.collector.reports;
    assert.equal(posted.contentType, "application/tlsrpt+gzip");
    const httpsReport = await gunzipJson(posted.body) as Record<string, unknown>;
    assert.deepEqual(httpsReport.policies, [expectedPolicy(HTTPS)]);
    assert.equal(httpsReport["organization-name"], "Empath Test");
    assert.equal(httpsReport["contact-info"], "tlsrpt-admin@mx.empath.test");
    assert.match(httpsReport["report-id"] as string, /^\d+\.\d+\.sts2\.test@mx\.empath\.test$/);

    const [mail] = await eventually(async () => {
      const messages = await env.peer.messages();
      return messages.length > 0 ? messages : undefined;
    });
    assert.equal(mail.mailFrom, "<>");
    assert.deepEqual(mail.rcptTos, ["tlsrpt@reports.test"]);
    const text = new TextDecoder().decode(mail.data).replace(/\r\n[ \t]/g, " ");
    assert.match(text, /^TLS-Report-Domain: sts\.test\r$/m);
    assert.match(text, /^TLS-Report-Submitter: mx\.empath\.test\r$/m);
    assert.match(
      text,
      /^Subject: Report Domain: sts\.test Submitter: mx\.empath\.test Report-ID: </m,
    );
    assert.match(text, /Content-Type: multipart\/report; report-type="tlsrpt";/);
    const attachment = reportAttachment(text);
    assert.match(attachment.fileName, /^mx\.empath\.test!sts\.test!\d+!\d+\.json\.gz$/);
    const mailReport = await gunzipJson(attachment.gzip) as Record<string, unknown>;
    assert.deepEqual(mailReport.policies, [expectedPolicy(MAILTO)]);
    assert.deepEqual(mailReport["date-range"], httpsReport["date-range"]);

    // The report's own delivery (no STARTTLS at mx.reports.test) is never counted.
    await eventually(async () => await restarted.queue.count() === 1 ? true : undefined);
    const metrics = await (await control(restarted.control, "/metrics")).text();
    for (const transport of ["mailto", "https"]) {
      const labels = { transport, outcome: "sent" };
      assert.equal(sampleValue(metrics, "empath_tls_rpt_reports_total", labels), 1, transport);
    }
    const unused = { result: "certificate-expired" };
    assert.equal(sampleValue(metrics, "empath_tls_rpt_sessions_total", unused), 0, "seeded at 0");
    // Stopping waits for recordings still being written; then the store must be empty.
    await restarted.stop();
    await using queue = await openKvQueue(env.server.config.queue.path, {
      clock: { now: () => Date.now() },
    });
    const stored = await queue.tlsReports.periods();
    assert.deepEqual(stored.flatMap((period) => [...period.entries, ...period.policies]), []);
  },
});
