import assert from "node:assert/strict";
import { queuedId, startTestEmpath } from "../support/empath.ts";
import { sendMessage, TestSmtpClient } from "../support/smtp_client.ts";
import { startSlowPeer } from "../support/slow_peer.ts";
import { eventually } from "../support/wait.ts";

const BACKLOG = 1_000;
const encoder = new TextEncoder();

Deno.test("an urgent message overtakes a backlog of 1,000 low-priority messages to a slow peer", async () => {
  await using peer = startSlowPeer({ delayMs: () => 20 });
  await using instance = await startTestEmpath((config) => {
    config.delivery.enabled = true;
    config.delivery.concurrency = 2;
    config.delivery.defaults.rate = 100_000;
    config.delivery.defaults.burst = 100_000;
    config.routes.push({
      domains: ["slow.test"],
      kind: "smtp",
      to: `127.0.0.1:${peer.port}`,
      tls: "disabled",
      verifyCertificates: false,
    });
  });
  const { queue, delivery } = instance.empath;
  const spool = async (subject: string, priority: number) => {
    const writer = queue.createSpool();
    await writer.write(encoder.encode(`Subject: ${subject}\r\n\r\nx\r\n`));
    await writer.commit({
      reversePath: "app@origin.test",
      recipients: ["user@slow.test"],
      receivedFrom: { ip: "127.0.0.1", helo: "test" },
      priority,
    });
  };
  // The backlog is committed concurrently (the queue's group commit), 50 at a time.
  for (let start = 0; start < BACKLOG; start += 50) {
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => spool(`bulk ${start + i}`, 1)),
    );
  }
  delivery.wake();
  await eventually(() => Promise.resolve(peer.messages.length >= 10), 30_000);

  const before = peer.messages.length;
  await spool("urgent", 9);
  delivery.wake();
  const position = await eventually(() => {
    const index = peer.messages.findIndex((message) => message.body.includes("Subject: urgent"));
    return Promise.resolve(index < 0 ? undefined : index);
  }, 30_000);

  // It went out within the next few slots (the two in flight, at most one slot by age), long
  // before the backlog drained.
  assert.ok(position < before + 8, `urgent message was #${position}, injected after #${before}`);
  assert.ok(position < BACKLOG / 2, `urgent message was #${position} of ${BACKLOG + 1}`);
  const waiting = await queue.count();
  assert.ok(waiting > BACKLOG / 2, `${waiting} backlog messages still queued`);
  // Nothing is starved: the low-priority mail kept flowing too.
  const bulkDelivered = peer.messages.filter((message) => message.body.includes("Subject: bulk"));
  assert.ok(bulkDelivered.length >= 10);
});

Deno.test("a submitter's X-Priority header sets the priority through [priority] values; a stranger's does not", async () => {
  const send = async (port: number, body: string) => {
    await using client = await TestSmtpClient.connect(port);
    await client.reply();
    await client.command("EHLO client.test");
    const reply = await sendMessage(client, { from: "a@origin.test", to: ["u@localhost"], body });
    assert.equal(reply.code, 250, reply.raw);
    return queuedId(reply);
  };
  {
    // Loopback is a trusted network by default: the client is a submitter.
    await using instance = await startTestEmpath((config) => {
      config.priority.values = { ...config.priority.values, urgent: 9 };
    });
    const { queue } = instance.empath;
    const priority = async (body: string) =>
      (await queue.get(await send(instance.port, body)))!.priority;
    assert.equal(await priority("X-Priority: 1 (Highest)\r\nSubject: a\r\n\r\nx"), 8);
    assert.equal(await priority("Subject: b\r\nx-priority:\r\n 5\r\n\r\nx"), 2);
    assert.equal(await priority("X-Priority: URGENT\r\n\r\nx"), 9);
    assert.equal(await priority("X-Priority: 7\r\n\r\nx"), 5);
    assert.equal(await priority("Subject: none\r\n\r\nX-Priority: 1\r\n"), 5);
    // The injection API reads the same header; its priority parameter wins.
    const token = (await Deno.readTextFile(instance.config.control.tokenFile)).trim();
    const inject = async (query: string) => {
      const response = await fetch(
        `http://127.0.0.1:${instance.empath.control.port}/v1/messages?from=a@origin.test&to=u@localhost${query}`,
        {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "message/rfc822" },
          body: "X-Priority: 1\r\nSubject: injected\r\n\r\nx\r\n",
        },
      );
      assert.equal(response.status, 202, await response.clone().text());
      return (await queue.get((await response.json()).id))!.priority;
    };
    assert.equal(await inject(""), 8);
    assert.equal(await inject("&priority=3"), 3);
  }
  {
    // Nobody is trusted: the header is ignored and the configured default applies.
    await using instance = await startTestEmpath((config) => {
      config.policy.trustedNetworks = [];
      config.priority.default = 4;
    });
    const id = await send(instance.port, "X-Priority: 1\r\nSubject: stranger\r\n\r\nx");
    assert.equal((await instance.empath.queue.get(id))!.priority, 4);
  }
});
