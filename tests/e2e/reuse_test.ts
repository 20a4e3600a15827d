import { eventually } from "../support/wait.ts";
import assert from "node:assert/strict";
import { startTestEmpath } from "../support/empath.ts";
import { closeAll } from "../support/net.ts";
import { skipWithout } from "../support/peers.ts";
import { startAiosmtpd } from "../support/sink.ts";
import { sendMessage, TestSmtpClient } from "../support/smtp_client.ts";

// Connection reuse end to end: Empath relays through a static route to a real
// aiosmtpd peer; a counting TCP proxy in front of the peer tells how many
// connections carried the messages.
const IGNORE = skipWithout("python3", "python3-aiosmtpd");
const MESSAGES = 20;

/** A TCP proxy to 127.0.0.1:`target` that counts the connections it accepted. */
function startCountingProxy(target: number) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const pumps: Promise<void>[] = [];
  let accepted = 0;
  const pump = async (from: Deno.Conn, to: Deno.Conn) => {
    const buffer = new Uint8Array(16 * 1024);
    try {
      while (true) {
        const n = await from.read(buffer);
        if (n === null) break;
        let written = 0;
        while (written < n) written += await to.write(buffer.subarray(written, n));
      }
    } catch {
      // either side closed
    }
    closeAll([from, to]);
    conns.delete(from);
    conns.delete(to);
  };
  const accepting = (async () => {
    for await (const client of listener) {
      accepted++;
      const upstream = await Deno.connect({ hostname: "127.0.0.1", port: target });
      conns.add(client).add(upstream);
      pumps.push(pump(client, upstream), pump(upstream, client));
    }
  })().catch(() => {});
  return {
    port: listener.addr.port,
    get accepted() {
      return accepted;
    },
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting;
      closeAll(conns);
      await Promise.all(pumps);
    },
  };
}

Deno.test({
  name: "delivery: 20 messages to one routed peer arrive over fewer connections than messages",
  ignore: IGNORE,
  async fn() {
    await using sink = await startAiosmtpd();
    await using proxy = startCountingProxy(sink.port);
    await using server = await startTestEmpath((config) => {
      config.delivery.enabled = true;
      config.routes.push({
        domains: ["reuse.test"],
        kind: "smtp",
        to: `127.0.0.1:${proxy.port}`,
        tls: "disabled",
        verifyCertificates: false,
      });
    });
    await using client = await TestSmtpClient.connect(server.port);
    await client.reply();
    await client.command("EHLO submit.test");
    for (let i = 0; i < MESSAGES; i++) {
      const reply = await sendMessage(client, {
        from: "sender@origin.test",
        to: [`rcpt${i}@reuse.test`],
        body: `Subject: reuse ${i}\r\n\r\nMessage ${i}`,
      });
      assert.equal(reply.code, 250, reply.raw);
    }
    await eventually(async () => (await sink.messages()).length === MESSAGES);
    await eventually(async () => (await server.empath.queue.count()) === 0);
    const stats = server.empath.delivery.poolStats();
    assert.ok(
      proxy.accepted < MESSAGES,
      `${proxy.accepted} connections for ${MESSAGES} messages`,
    );
    assert.equal(stats.hits + stats.misses, MESSAGES);
    assert.equal(stats.misses, proxy.accepted);
    assert.ok(stats.size >= 1, "the last connection stays idle in the pool");
  },
});
