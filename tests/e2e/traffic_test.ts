import assert from "node:assert/strict";
import { startTestEmpath, type TestEmpath } from "../support/empath.ts";
import { skipWithout } from "../support/peers.ts";
import { startAiosmtpd } from "../support/sink.ts";
import { sendMessage, TestSmtpClient } from "../support/smtp_client.ts";

async function submit(server: TestEmpath, to: string, count: number): Promise<void> {
  await using client = await TestSmtpClient.connect(server.port);
  await client.reply();
  await client.command("EHLO traffic.test");
  for (let i = 0; i < count; i++) {
    const reply = await sendMessage(client, {
      from: "sender@origin.test",
      to: [to],
      body: `Subject: ${i}\r\n\r\nx`,
    });
    assert.equal(reply.code, 250);
  }
}

Deno.test({
  name: "traffic: a per-domain rate limit spaces deliveries at the peer; nothing is failed",
  ignore: skipWithout("python3", "python3-aiosmtpd"),
  async fn() {
    await using sink = await startAiosmtpd();
    await using server = await startTestEmpath((config) => {
      config.delivery.enabled = true;
      config.routes.push({
        domains: ["slow.test"],
        kind: "smtp",
        to: `127.0.0.1:${sink.port}`,
        tls: "disabled",
        verifyCertificates: false,
      });
      config.delivery.domains["slow.test"] = { rate: 5, burst: 1 };
    });
    const started = Date.now();
    await submit(server, "rcpt@slow.test", 6);
    const arrivals: number[] = [];
    while (arrivals.length < 6 && Date.now() - started < 10_000) {
      const count = (await sink.messages()).length;
      while (arrivals.length < count) arrivals.push(Date.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(arrivals.length, 6);
    // 5/s with a burst of 1: six messages need at least one second.
    assert.ok(arrivals[5] - arrivals[0] >= 900, `spread ${arrivals[5] - arrivals[0]} ms`);
    const { messages } = await server.empath.queue.list();
    assert.equal(messages.length, 0);
  },
});

Deno.test("traffic: the circuit breaker opens after repeated 421 greetings and stops connecting", async () => {
  let connections = 0;
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = (async () => {
    for await (const conn of listener) {
      connections++;
      await conn.write(new TextEncoder().encode("421 4.7.0 busy, try later\r\n")).catch(() => {});
      conn.close();
    }
  })().catch(() => {});
  try {
    await using server = await startTestEmpath((config) => {
      config.delivery.enabled = true;
      config.queue.retry = [100];
      config.delivery.circuitBreaker = { threshold: 3, window: 60_000, openFor: 60_000 };
      config.routes.push({
        domains: ["busy.test"],
        kind: "smtp",
        to: `127.0.0.1:${listener.addr.port}`,
        tls: "disabled",
        verifyCertificates: false,
      });
    });
    await submit(server, "rcpt@busy.test", 1);
    const deadline = Date.now() + 5_000;
    while (connections < 3 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(connections, 3);
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal(connections, 3, "no new connections while the breaker is open");
    const [state] = server.empath.delivery.breakers.states();
    assert.equal(state.key, "busy.test");
    assert.equal(state.state, "open");
    const { messages } = await server.empath.queue.list();
    assert.equal(messages[0].recipients[0].status, "deferred", "deferred, never failed");
  } finally {
    listener.close();
    await accepting;
  }
});
