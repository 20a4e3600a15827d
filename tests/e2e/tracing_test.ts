import assert from "node:assert/strict";
import { startDnsmasq } from "../support/dnsmasq.ts";
import { testCertificates } from "../support/certs.ts";
import { controlCli } from "../support/cli.ts";
import { daemonConfig, smtpRoute } from "../support/daemon_config.ts";
import { freePort } from "../support/net.ts";
import { skipWithout } from "../support/peers.ts";
import { spawnEmpath } from "../support/process.ts";
import { startAiosmtpd } from "../support/sink.ts";
import { queuedId } from "../support/empath.ts";
import { TestSmtpClient } from "../support/smtp_client.ts";
import { eventually } from "../support/wait.ts";

// The real daemon (main.ts) with Deno's built-in OpenTelemetry exporting OTLP/HTTP JSON to a
// collector in this test; real DNS (dnsmasq) and a real receiving peer with STARTTLS (aiosmtpd).
const IGNORE = skipWithout("dnsmasq", "dnsmasq-base") || skipWithout("python3", "python3-aiosmtpd");

const SUBMITTED_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const SUBMITTED_SPAN = "00f067aa0ba902b7";

/** One span as exported (OTLP JSON), attributes flattened to plain values. */
interface ExportedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: number;
  readonly attributes: Record<string, unknown>;
  readonly events: { name: string; attributes: Record<string, unknown> }[];
  readonly links: { traceId: string; spanId: string }[];
  readonly status: { code?: number; message?: string };
  /** The exporting process's resource attributes (`service.name`, `service.instance.id`…). */
  readonly resource: Record<string, unknown>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpValue[] };
}

type OtlpAttributes = { key: string; value: OtlpValue }[] | undefined;

function plain(value: OtlpValue): unknown {
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(plain);
  if (value.intValue !== undefined) return Number(value.intValue);
  return value.stringValue ?? value.doubleValue ?? value.boolValue;
}

function attributesOf(attributes: OtlpAttributes): Record<string, unknown> {
  return Object.fromEntries((attributes ?? []).map(({ key, value }) => [key, plain(value)]));
}

/** An OTLP/HTTP collector on a free loopback port that keeps the spans of scope "empath". */
function startCollector() {
  const spans: ExportedSpan[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const body = await request.text();
    if (new URL(request.url).pathname === "/v1/traces") {
      const json = JSON.parse(body);
      for (const resource of json.resourceSpans ?? []) {
        for (const scope of resource.scopeSpans ?? []) {
          if (scope.scope?.name !== "empath") continue;
          for (const span of scope.spans ?? []) {
            spans.push({
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId ?? "",
              name: span.name,
              kind: span.kind,
              attributes: attributesOf(span.attributes),
              events: (span.events ?? []).map((
                event: { name: string; attributes: OtlpAttributes },
              ) => ({
                name: event.name,
                attributes: attributesOf(event.attributes),
              })),
              links: span.links ?? [],
              status: span.status ?? {},
              resource: attributesOf(resource.resource?.attributes),
            });
          }
        }
      }
    }
    return Response.json({});
  });
  return {
    spans,
    endpoint: `http://127.0.0.1:${server.addr.port}`,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

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

function byName(spans: ExportedSpan[], name: string): ExportedSpan[] {
  return spans.filter((span) => span.name === name);
}

function one(spans: ExportedSpan[], name: string): ExportedSpan {
  const found = byName(spans, name);
  assert.equal(found.length, 1, `one "${name}" span, got ${spans.map((s) => s.name).join(", ")}`);
  return found[0];
}

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

const restartConfig = (dir: string, controlPort: number, peerPort: number) =>
  daemonConfig(dir, { hostname: "restart.empath.test", controlPort, retry: ["1h"] }) +
  smtpRoute(["later.test"], `127.0.0.1:${peerPort}`, { tls: "disabled" }) + `
[observe.log]
level = "info"
`;

const TRACE_ENV = (endpoint: string, instance: string) => ({
  OTEL_DENO: "true",
  OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
  OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
  OTEL_SERVICE_NAME: "empath-e2e",
  OTEL_RESOURCE_ATTRIBUTES: `service.instance.id=${instance}`,
  OTEL_BSP_SCHEDULE_DELAY: "100",
});

function aboutMessage(logs: Record<string, unknown>[], id: string): Record<string, unknown>[] {
  return logs.filter((line) =>
    (line.properties as Record<string, unknown> | undefined)?.message_id === id
  );
}

Deno.test({
  name:
    "tracing: a message deferred before a restart is delivered by the next process in the same trace, as a child of its stored commit span",
  ignore: skipWithout("python3", "python3-aiosmtpd"),
  async fn() {
    await using collector = startCollector();
    const peerPort = freePort();
    const dir = await Deno.makeTempDir({ prefix: "empath-trace-restart-" });
    try {
      await Deno.writeTextFile(`${dir}/empath.toml`, restartConfig(dir, freePort(), peerPort));
      const spawn = (instance: string) =>
        spawnEmpath({
          cwd: dir,
          config: `${dir}/empath.toml`,
          env: TRACE_ENV(collector.endpoint, instance),
        });
      /** The spans one process exported, once every name in `names` is among them. */
      const spansOf = (instance: string, names: string[]) =>
        eventually(() => {
          const spans = collector.spans.filter((span) =>
            span.resource["service.instance.id"] === instance
          );
          return Promise.resolve(
            names.every((name) => byName(spans, name).length > 0) ? spans : undefined,
          );
        });

      // First process: receives the message and defers it (nothing listens on the next hop).
      let id: string;
      const first = await spawn("first");
      try {
        await using client = await TestSmtpClient.connect(first.port);
        await client.reply();
        await client.command("EHLO submitter.test");
        assert.equal((await client.command("MAIL FROM:<sender@origin.test>")).code, 250);
        assert.equal((await client.command("RCPT TO:<rcpt@later.test>")).code, 250);
        assert.equal((await client.command("DATA")).code, 354);
        await client.write(
          `Subject: after a restart\r\ntraceparent: 00-${SUBMITTED_TRACE}-${SUBMITTED_SPAN}-01\r\n` +
            `\r\nDelivered by the next process\r\n.\r\n`,
        );
        id = queuedId(await client.reply());
        await client.command("QUIT");
        await eventually(() =>
          Promise.resolve(
            aboutMessage(first.logs, id).some((line) =>
              String(line.message).endsWith("to later.test: deferred")
            ),
          ), 30_000);
      } finally {
        // A clean stop: Deno exports the spans it still holds before the process exits.
        assert.equal((await first.stop("SIGTERM")).code, 0);
      }
      const firstSpans = await spansOf("first", [
        "smtp.transaction",
        "smtp.data",
        "queue.commit",
        "delivery.attempt",
      ]);
      const commit = one(firstSpans, "queue.commit");
      const firstAttempt = one(firstSpans, "delivery.attempt");
      const received = ["smtp.transaction", "smtp.data", "queue.commit"].map((name) =>
        one(firstSpans, name)
      );
      assert.deepEqual([...new Set(received.map((span) => span.traceId))], [SUBMITTED_TRACE]);
      assert.equal(commit.attributes["empath.message_id"], id);
      assert.equal(firstAttempt.parentSpanId, commit.spanId);
      assert.equal(firstAttempt.attributes["empath.deferred"], 1);

      // Second process: same configuration and queue, the next hop is up now.
      await using peer = await startAiosmtpd({ port: peerPort });
      const second = await spawn("second");
      let secondLogs: Record<string, unknown>[];
      try {
        // The retry is an hour away: an operator makes it due now.
        const cli = controlCli(`${dir}/empath.toml`, { cwd: dir, env: { OTEL_DENO: "" } });
        assert.match(await cli.ok("queue", "retry", id), /Scheduled for retry/);
        await eventually(async () => (await peer.messages()).length > 0, 30_000);
        await eventually(() =>
          Promise.resolve(
            aboutMessage(second.logs, id).some((line) =>
              String(line.message).endsWith("to later.test: delivered")
            ),
          ), 30_000);
      } finally {
        assert.equal((await second.stop("SIGTERM")).code, 0);
        secondLogs = second.logs;
      }
      const [delivered] = await peer.messages();
      assert.deepEqual(delivered.rcptTos, ["rcpt@later.test"]);
      assert.match(
        new TextDecoder().decode(delivered.data),
        /traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-/,
      );

      const secondSpans = await spansOf("second", ["delivery.attempt", "smtp.client.transaction"]);
      const attempt = one(secondSpans, "delivery.attempt");
      assert.equal(attempt.traceId, SUBMITTED_TRACE, "the receive spans' trace, from the queue");
      assert.equal(attempt.parentSpanId, commit.spanId, "a child of the stored commit span");
      assert.equal(attempt.attributes["empath.message_id"], id);
      assert.equal(attempt.attributes["empath.attempt"], 2);
      assert.equal(attempt.attributes["empath.delivered"], 1);
      assert.notEqual(attempt.status.code, 2, "the second attempt is not an error");
      const sent = one(secondSpans, "smtp.client.transaction");
      assert.equal(sent.traceId, SUBMITTED_TRACE);
      assert.equal(sent.parentSpanId, attempt.spanId);
      assert.deepEqual(
        byName(secondSpans, "queue.commit"),
        [],
        "the second process committed nothing: the trace came from the stored record",
      );

      // Every log line of the second process about the message is in the message's trace.
      const lines = aboutMessage(secondLogs, id);
      assert.ok(lines.length > 0, "the second process logged about the message");
      for (const line of lines) {
        assert.equal(line.trace_id, SUBMITTED_TRACE, `trace_id of "${line.message}"`);
        assert.ok(
          [attempt.spanId, commit.spanId].includes(String(line.span_id)),
          `span_id of "${line.message}" is the attempt or the stored commit span`,
        );
      }
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
