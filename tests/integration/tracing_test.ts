import assert from "node:assert/strict";
import { installSpanRecorder, type RecordedSpan } from "../../lib/observe/tracing_testing.ts";
import { decodeTraceContext } from "../../lib/observe/mod.ts";
import { queuedId, startTestEmpath, type TestEmpath } from "../support/empath.ts";
import { sendMessage, TestSmtpClient } from "../support/smtp_client.ts";
import { eventually } from "../support/wait.ts";

const SUBMITTED_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const SUBMITTED_SPAN = "00f067aa0ba902b7";

function only(spans: RecordedSpan[], name: string): RecordedSpan {
  const found = spans.filter((span) => span.name === name);
  assert.equal(found.length, 1, `one ${name} span in ${spans.map((s) => s.name).join(", ")}`);
  return found[0];
}

function addressesIn(spans: RecordedSpan[]): string[] {
  const values = spans.flatMap((span) => [
    ...Object.values(span.attributes),
    ...span.events.flatMap((event) => Object.values(event.attributes)),
  ]);
  return values.flat().map(String).filter((value) => value.includes("@"));
}

async function receive(port: number, body: string) {
  await using client = await TestSmtpClient.connect(port);
  await client.reply();
  await client.command("EHLO client.test");
  await client.command("MAIL FROM:<sender@origin.test>");
  const refused = await client.command("RCPT TO:<someone@elsewhere.test>");
  assert.equal(refused.code, 554);
  assert.equal((await client.command("RCPT TO:<rcpt@localhost>")).code, 250);
  assert.equal((await client.command("DATA")).code, 354);
  await client.write(`${body}\r\n.\r\n`);
  const reply = await client.reply();
  await client.command("QUIT");
  return queuedId(reply);
}

Deno.test("SMTP receive: session, transaction, DATA and commit spans in one trace, without addresses", async () => {
  using recorder = installSpanRecorder();
  await using server = await startTestEmpath((config) => {
    config.policy.trustedNetworks = [];
    config.policy.localDomains = ["localhost"];
  });
  const id = await receive(server.port, "Subject: traced\r\n\r\nHello");
  const spans = await eventually(() => {
    const session = recorder.spans.find((span) => span.name === "smtp.session");
    return Promise.resolve(session?.ended ? recorder.spans : undefined);
  });
  const session = only(spans, "smtp.session");
  const transactions = spans.filter((span) => span.name === "smtp.transaction");
  const data = only(spans, "smtp.data");
  const commit = only(spans, "queue.commit");
  assert.equal(session.parentSpanId, undefined);
  assert.equal(session.attributes["network.peer.address"], "127.0.0.1");
  assert.equal(typeof session.attributes["network.peer.port"], "number");
  assert.equal(session.attributes["server.address"], "mx.empath.test");
  assert.equal(transactions.length, 1);
  const [transaction] = transactions;
  assert.equal(transaction.parentSpanId, session.spanId);
  assert.equal(data.parentSpanId, transaction.spanId);
  assert.equal(commit.parentSpanId, data.spanId);
  assert.ok(spans.every((span) => span.traceId === session.traceId && span.ended));
  assert.equal(data.attributes["empath.message_id"], id);
  assert.deepEqual(data.attributes["empath.recipient_domains"], ["localhost"]);
  assert.equal(commit.attributes["smtp.reply.code"], 250);
  assert.deepEqual(transaction.events, [{
    name: "smtp.rejected",
    attributes: {
      "empath.recipient_domain": "elsewhere.test",
      "smtp.reply.code": 554,
      "smtp.reply.enhanced_code": "5.7.1",
      "smtp.command": "RCPT",
    },
  }]);
  assert.deepEqual(addressesIn(spans), []);
  const stored = await server.empath.queue.get(id);
  const context = decodeTraceContext(stored?.traceContext);
  assert.equal(context?.traceId, commit.traceId);
  assert.equal(context?.spanId, commit.spanId);
});

Deno.test("SMTP receive: a traceparent header field puts the transaction, DATA and commit spans in the submitter's trace", async () => {
  using recorder = installSpanRecorder();
  await using server = await startTestEmpath((config) => {
    config.observe.tracing.includeAddresses = true;
  });
  const traceparent = `00-${SUBMITTED_TRACE}-${SUBMITTED_SPAN}-01`;
  await using client = await TestSmtpClient.connect(server.port);
  await client.reply();
  await client.command("EHLO client.test");
  const reply = await sendMessage(client, {
    from: "sender@origin.test",
    to: ["rcpt@localhost"],
    body: `Subject: traced\r\nTraceparent: ${traceparent}\r\n\r\nHello`,
  });
  const messageId = queuedId(reply);
  const session = only(recorder.spans, "smtp.session");
  const transaction = only(recorder.spans, "smtp.transaction");
  const data = only(recorder.spans, "smtp.data");
  const commit = only(recorder.spans, "queue.commit");
  assert.notEqual(session.traceId, SUBMITTED_TRACE);
  assert.equal(transaction.traceId, SUBMITTED_TRACE);
  assert.equal(transaction.parentSpanId, SUBMITTED_SPAN);
  assert.equal(transaction.links[0]?.context.spanId, session.spanId);
  assert.equal(transaction.attributes["empath.trace.submitted"], true);
  assert.equal(data.parentSpanId, transaction.spanId);
  assert.equal(commit.parentSpanId, data.spanId);
  assert.equal(commit.traceId, SUBMITTED_TRACE);
  assert.equal(transaction.attributes["empath.sender"], "sender@origin.test");
  assert.deepEqual(data.attributes["empath.recipient_addresses"], ["rcpt@localhost"]);
  const stored = await server.empath.queue.get(messageId);
  assert.equal(decodeTraceContext(stored?.traceContext)?.traceId, SUBMITTED_TRACE);
  assert.equal(decodeTraceContext(stored?.traceContext)?.spanId, commit.spanId);
});

Deno.test("delivery after a restart: the delivery.attempt span is a child of the stored commit span", async () => {
  using recorder = installSpanRecorder();
  const dir = await Deno.makeTempDir({ prefix: "empath-trace-restart-" });
  const configure = (enabled: boolean) => (config: TestEmpath["config"]) => {
    config.queue.path = `${dir}/queue.kv`;
    config.delivery.enabled = enabled;
    config.routes = [{ domains: ["localhost"], kind: "maildir", path: `${dir}/maildir` }];
  };
  try {
    let id: string;
    {
      await using first = await startTestEmpath(configure(false));
      await using client = await TestSmtpClient.connect(first.port);
      await client.reply();
      await client.command("EHLO client.test");
      id = queuedId(
        await sendMessage(client, {
          from: "sender@origin.test",
          to: ["rcpt@localhost"],
          body: "Subject: later\r\n\r\nx",
        }),
      );
    }
    const commit = only(recorder.spans, "queue.commit");
    recorder.clear();
    await using second = await startTestEmpath(configure(true));
    await eventually(async () => (await second.empath.queue.count()) === 0);
    const attempt = only(recorder.spans, "delivery.attempt");
    assert.equal(attempt.traceId, commit.traceId);
    assert.equal(attempt.parentSpanId, commit.spanId);
    assert.equal(attempt.attributes["empath.message_id"], id);
    assert.equal(attempt.attributes["empath.recipient_domain"], "localhost");
    assert.equal(attempt.attributes["empath.delivered"], 1);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
