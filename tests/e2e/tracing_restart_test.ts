import assert from "node:assert/strict";
import { controlCli } from "../support/cli.ts";
import { daemonConfig, smtpRoute } from "../support/daemon_config.ts";
import { freePort } from "../support/net.ts";
import { skipWithout } from "../support/peers.ts";
import { spawnEmpath } from "../support/process.ts";
import { startAiosmtpd } from "../support/sink.ts";
import { queuedId } from "../support/empath.ts";
import { TestSmtpClient } from "../support/smtp_client.ts";
import { eventually } from "../support/wait.ts";
import { byName, one, startCollector, SUBMITTED_SPAN, SUBMITTED_TRACE } from "./_otlp_collector.ts";

// The real daemon (main.ts) exporting OTLP/HTTP JSON to a collector in this test, stopped and
// started again with a message still queued; a real receiving peer (aiosmtpd) for the retry.

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
