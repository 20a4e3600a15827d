import assert from "node:assert/strict";
import { hashToken } from "../../lib/control/mod.ts";
import { sampleValue } from "../../lib/observe/testing.ts";
import { queuedId, startTestEmpath, type TestEmpath } from "../support/empath.ts";
import { debianPython, run, skipWithout } from "../support/peers.ts";
import { type AiosmtpdMessage, startAiosmtpd } from "../support/sink.ts";
import { sendMessage, TestSmtpClient } from "../support/smtp_client.ts";
import { eventually } from "../support/wait.ts";

// A real receiving peer (python aiosmtpd) behind a static route answers "451 4.3.0" for the
// recipient; the sender's domain is routed to the same peer, which stands for the sender's
// mailbox. Empath retries every ~100 ms with [queue] delay_warning = "200ms".
const IGNORE = skipWithout("python3", "python3-aiosmtpd");
const TOKEN = "delay-warning-read-token-0123456789";

async function submit(server: TestEmpath): Promise<string> {
  await using client = await TestSmtpClient.connect(server.port);
  await client.reply();
  await client.command("EHLO submit.test");
  const reply = await sendMessage(client, {
    from: "sender@origin.test",
    to: ["rcpt@slow.test"],
    body: "Subject: slow\r\nMessage-ID: <slow1@origin.test>\r\n\r\nbody",
  });
  return queuedId(reply);
}

/** The delivery events of message `id`, as `GET /v1/events?id=` streams them. */
function watchEvents(server: TestEmpath, id: string) {
  const { hostname, port } = server.empath.control;
  const abort = new AbortController();
  const events: { type: string; detail?: string }[] = [];
  const reading = (async () => {
    const response = await fetch(`http://${hostname}:${port}/v1/events?id=${id}`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
      signal: abort.signal,
    });
    let text = "";
    for await (const chunk of response.body!.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      const blocks = text.split("\n\n");
      text = blocks.pop()!;
      for (const block of blocks) {
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (data !== undefined && data !== "{}") events.push(JSON.parse(data));
      }
    }
  })().catch(() => {});
  return {
    events,
    async [Symbol.asyncDispose]() {
      abort.abort();
      await reading;
    },
  };
}

const PARSE_DSN = `
import email, sys
msg = email.message_from_bytes(sys.stdin.buffer.read())
parts = msg.get_payload()
print("SUBJECT", msg["Subject"])
print("NOTICE", " ".join(parts[0].get_payload(decode=True).decode().split()))
for block in parts[1].get_payload()[1:]:
    print("RCPT", block["Final-Recipient"], block["Action"], block["Status"], block["Will-Retry-Until"])
`;

function dsnsIn(messages: AiosmtpdMessage[]): AiosmtpdMessage[] {
  return messages.filter((message) => message.mailFrom === "" || message.mailFrom === "<>");
}

/** Empath routing the recipient's and the sender's domains to the peer on `port`. */
async function startRelay(port: number): Promise<TestEmpath> {
  const hash = await hashToken(TOKEN);
  return await startTestEmpath((config) => {
    config.delivery.enabled = true;
    config.delivery.circuitBreaker.threshold = 1000;
    config.control.tokens = [{ name: "test", hash, scope: "read" }];
    config.routes = [{
      domains: ["slow.test", "origin.test"],
      kind: "smtp",
      to: `127.0.0.1:${port}`,
      tls: "disabled",
      verifyCertificates: false,
    }];
    config.queue.retry = [100];
    config.queue.delayWarning = 200;
  });
}

/** Checks the warning with python's email package: subject, report fields, notice. */
async function assertDelayedDsn(warning: AiosmtpdMessage): Promise<void> {
  assert.deepEqual(warning.rcptTos, ["sender@origin.test"]);
  const parsed = await run(debianPython(), ["-c", PARSE_DSN], {
    stdin: new TextDecoder().decode(warning.data),
  });
  assert.equal(parsed.code, 0, parsed.stderr);
  assert.match(parsed.stdout, /^SUBJECT Delayed Mail \(still being retried\)$/m);
  assert.match(parsed.stdout, /^RCPT rfc822; ?rcpt@slow\.test delayed 4\.3\.0 \w{3}, /m);
  assert.match(parsed.stdout, /The system will keep trying until .*No action is needed/);
}

/** `empath_delivery_bounces_total` by action, from `GET /metrics`. */
async function bouncesByAction(server: TestEmpath) {
  const { hostname, port } = server.empath.control;
  const response = await fetch(`http://${hostname}:${port}/metrics`, {
    headers: { Authorization: `Bearer ${TOKEN}` },
  });
  const text = await response.text();
  const count = (action: string) => sampleValue(text, "empath_delivery_bounces_total", { action });
  return { failed: count("failed"), delayed: count("delayed") };
}

Deno.test({
  name: "delivery: a deferred message warns its sender once with a delayed DSN, then is delivered",
  ignore: IGNORE,
  async fn() {
    await using failing = await startAiosmtpd({ tempfail: { "rcpt@slow.test": 1_000_000 } });
    await using server = await startRelay(failing.port);
    const id = await submit(server);
    await using watch = watchEvents(server, id);

    // Exactly one "delayed" DSN reaches the sender while the message stays queued.
    const [warning] = await eventually(async () => {
      const dsns = dsnsIn(await failing.messages());
      return dsns.length > 0 ? dsns : undefined;
    });
    const queued = (await server.empath.queue.get(id))!;
    assert.equal(queued.recipients[0].status, "deferred", "the original is still queued");
    assert.ok(queued.delayWarnedAt !== undefined, "the record says the warning was sent");
    await assertDelayedDsn(warning);

    // More attempts fail, and no second warning comes.
    const warnedAfter = queued.recipients[0].attempts;
    await eventually(async () => {
      const message = await server.empath.queue.get(id);
      return (message?.recipients[0].attempts ?? 0) >= warnedAfter + 3;
    });
    assert.equal(dsnsIn(await failing.messages()).length, 1, "one warning however many retries");
    await failing[Symbol.asyncDispose]();

    // The peer starts accepting: the original is delivered, and no further warning is sent.
    await using accepting = await startAiosmtpd({ port: failing.port });
    const [delivered] = await eventually(async () => {
      const all = await accepting.messages();
      return all.length > 0 ? all : undefined;
    });
    assert.deepEqual(delivered.rcptTos, ["rcpt@slow.test"]);
    assert.equal(delivered.mailFrom, "sender@origin.test");
    await eventually(async () => (await server.empath.queue.count()) === 0);
    assert.equal(dsnsIn(await accepting.messages()).length, 0, "no warning after delivery");
    const dsnEvents = watch.events.filter((event) => event.type === "dsn");
    assert.deepEqual(dsnEvents.map((event) => event.detail), ["delayed"]);
    assert.deepEqual(await bouncesByAction(server), { failed: 0, delayed: 1 });
  },
});
