import assert from "node:assert/strict";
import { startDnsmasq } from "../support/dnsmasq.ts";
import { testCertificates } from "../support/certs.ts";
import { daemonConfig } from "../support/daemon_config.ts";
import { skipWithout } from "../support/peers.ts";
import { spawnEmpath } from "../support/process.ts";
import { startAiosmtpd } from "../support/sink.ts";
import { queuedId } from "../support/empath.ts";
import { TestSmtpClient } from "../support/smtp_client.ts";
import { eventually } from "../support/wait.ts";
import {
  byName,
  type ExportedSpan,
  one,
  startCollector,
  SUBMITTED_SPAN,
  SUBMITTED_TRACE,
} from "./_otlp_collector.ts";

// The real daemon (main.ts) with Deno's built-in OpenTelemetry exporting OTLP/HTTP JSON to a
// collector in this test; real DNS (dnsmasq) and a real receiving peer with STARTTLS (aiosmtpd).
const IGNORE = skipWithout("dnsmasq", "dnsmasq-base") || skipWithout("python3", "python3-aiosmtpd");

const config = (dir: string, dnsPort: number, sinkPort: number) =>
  daemonConfig(dir, { hostname: "trace.empath.test" }) + `
[dns]
name_server = "127.0.0.1:${dnsPort}"
[delivery]
port = ${sinkPort}
allow_private_destinations = true
[observe.log]
level = "info"
`;

function everyValue(spans: ExportedSpan[]): string[] {
  return spans.flatMap((span) => [
    ...Object.values(span.attributes),
    ...span.events.flatMap((event) => Object.values(event.attributes)),
  ]).flat().map(String);
}

Deno.test({
  name:
    "tracing: a message with a traceparent header is one trace from SMTP receipt to delivery, exported by the daemon over OTLP",
  ignore: IGNORE,
  async fn() {
    const certs = await testCertificates();
    await using collector = startCollector();
    await using dns = await startDnsmasq({
      mx: [{ domain: "traced.test", exchange: "mx.traced.test", preference: 10 }],
      a: [{ name: "mx.traced.test", address: "127.0.0.1" }],
    });
    await using sink = await startAiosmtpd({ tls: { cert: certs.cert, key: certs.key } });
    const dir = await Deno.makeTempDir({ prefix: "empath-trace-" });
    try {
      await Deno.writeTextFile(`${dir}/empath.toml`, config(dir, dns.nameServer.port, sink.port));
      const daemon = await spawnEmpath({
        cwd: dir,
        config: `${dir}/empath.toml`,
        env: {
          OTEL_DENO: "true",
          OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
          OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
          OTEL_SERVICE_NAME: "empath-e2e",
          OTEL_BSP_SCHEDULE_DELAY: "100",
        },
      });
      let id: string;
      try {
        await using client = await TestSmtpClient.connect(daemon.port);
        await client.reply();
        await client.command("EHLO submitter.test");
        assert.equal((await client.command("MAIL FROM:<sender@origin.test>")).code, 250);
        assert.equal((await client.command("RCPT TO:<not an address>")).code, 501);
        assert.equal((await client.command("RCPT TO:<rcpt@traced.test>")).code, 250);
        assert.equal((await client.command("DATA")).code, 354);
        await client.write(
          `Subject: traced\r\ntraceparent: 00-${SUBMITTED_TRACE}-${SUBMITTED_SPAN}-01\r\n` +
            `\r\nHello through the trace\r\n.\r\n`,
        );
        id = queuedId(await client.reply());
        await client.command("QUIT");
        await eventually(async () => (await sink.messages()).length > 0);
        // The delivery's smtp.client.transaction span is exported once the attempt ends.
        await eventually(() =>
          Promise.resolve(byName(collector.spans, "delivery.attempt").length > 0)
        );
      } finally {
        // SIGTERM stops the daemon cleanly; Deno flushes the remaining spans on exit.
        assert.equal((await daemon.stop("SIGTERM")).code, 0);
      }
      const spans = collector.spans;
      const session = one(spans, "smtp.session");
      const transaction = one(spans, "smtp.transaction");
      const data = one(spans, "smtp.data");
      const commit = one(spans, "queue.commit");
      const attempt = one(spans, "delivery.attempt");
      const lookups = byName(spans, "dns.lookup");
      const connect = one(spans, "smtp.connect");
      const handshake = one(spans, "tls.handshake");
      const sent = one(spans, "smtp.client.transaction");

      // One trace, the submitted one, from the transaction to the delivery.
      const messageSpans = spans.filter((span) => span !== session);
      assert.deepEqual([...new Set(messageSpans.map((span) => span.traceId))], [SUBMITTED_TRACE]);
      assert.equal(transaction.parentSpanId, SUBMITTED_SPAN);
      assert.deepEqual(
        transaction.links.map((link) => [link.traceId, link.spanId]),
        [[session.traceId, session.spanId]],
      );
      assert.equal(data.parentSpanId, transaction.spanId);
      assert.equal(commit.parentSpanId, data.spanId);
      assert.equal(attempt.parentSpanId, commit.spanId);
      assert.deepEqual(
        lookups.map((lookup) => [lookup.parentSpanId, lookup.attributes["dns.question.type"]]),
        // MX, the MTA-STS policy record (TXT), then the MX host's addresses.
        [[attempt.spanId, "MX"], [attempt.spanId, "TXT"], [attempt.spanId, "A/AAAA"]],
      );
      assert.equal(connect.parentSpanId, attempt.spanId);
      assert.equal(handshake.parentSpanId, connect.spanId);
      assert.equal(sent.parentSpanId, attempt.spanId);
      // The session is the connection: its own trace, linked from the transaction.
      assert.equal(session.parentSpanId, "");
      assert.notEqual(session.traceId, SUBMITTED_TRACE);

      assert.equal(session.attributes["network.peer.address"], "127.0.0.1");
      assert.equal(typeof session.attributes["network.peer.port"], "number");
      assert.equal(session.attributes["server.address"], "trace.empath.test");
      assert.equal(session.kind, 2); // SERVER
      // The session refused the syntax itself: the reply, without a command or domain.
      assert.deepEqual(transaction.events, [{
        name: "smtp.rejected",
        attributes: { "smtp.reply.code": 501, "smtp.reply.enhanced_code": "5.1.3" },
      }]);
      assert.equal(transaction.attributes["empath.sender_domain"], "origin.test");
      assert.equal(data.attributes["empath.message_id"], id);
      assert.deepEqual(data.attributes["empath.recipient_domains"], ["traced.test"]);
      assert.equal(commit.attributes["empath.message_id"], id);
      assert.equal(commit.attributes["smtp.reply.code"], 250);
      assert.equal(attempt.attributes["empath.message_id"], id);
      assert.equal(attempt.attributes["empath.recipient_domain"], "traced.test");
      assert.equal(attempt.attributes["empath.attempt"], 1);
      assert.equal(attempt.attributes["empath.delivered"], 1);
      assert.deepEqual(attempt.events.map((event) => event.name), ["delivery.recipient"]);
      assert.equal(attempt.events[0].attributes["empath.outcome"], "delivered");
      assert.equal(attempt.events[0].attributes["smtp.reply.code"], 250);
      assert.equal(lookups[0].attributes["dns.question.name"], "traced.test");
      assert.equal(lookups[1].attributes["dns.question.name"], "_mta-sts.traced.test");
      assert.equal(lookups[2].attributes["dns.question.name"], "mx.traced.test");
      for (const span of [connect, sent]) {
        assert.equal(span.attributes["server.address"], "mx.traced.test");
        assert.equal(span.attributes["server.port"], sink.port);
        assert.equal(span.attributes["network.peer.address"], "127.0.0.1");
        assert.equal(span.kind, 3); // CLIENT
      }
      assert.match(String(handshake.attributes["tls.protocol.version"]), /^1\.[23]$/);
      assert.ok(String(handshake.attributes["tls.cipher"]).length > 0);
      assert.equal(sent.attributes["smtp.reply.code"], 250);
      assert.equal(sent.attributes["empath.connection.reused"], false);
      for (const span of spans) {
        assert.notEqual(span.status.code, 2, `${span.name} is not an error`);
      }
      assert.deepEqual(everyValue(spans).filter((value) => value.includes("@")), []);

      // Log lines inside spans carry the trace: receipt and delivery both in the message's trace.
      const queuedLog = daemon.logs.find((line) =>
        String(line.message).endsWith(`queued from 127.0.0.1`)
      );
      assert.equal(queuedLog?.trace_id, SUBMITTED_TRACE);
      assert.equal(queuedLog?.span_id, commit.spanId);
      const deliveredLog = daemon.logs.find((line) =>
        String(line.message).includes("to traced.test: delivered")
      );
      assert.equal(deliveredLog?.trace_id, SUBMITTED_TRACE);
      assert.deepEqual(
        Object.keys(deliveredLog?.properties as Record<string, unknown>).filter((key) =>
          ["message_id", "domain", "smtp_code", "attempt"].includes(key)
        ).sort(),
        ["attempt", "domain", "message_id", "smtp_code"],
      );
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
