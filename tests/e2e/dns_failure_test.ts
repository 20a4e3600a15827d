import assert from "node:assert/strict";
import { queuedId, startTestEmpath } from "../support/empath.ts";
import { type DnsQuery, response, startScriptedDns } from "../support/scripted_dns.ts";
import { sendMessage, TestSmtpClient } from "../support/smtp_client.ts";
import { eventually } from "../support/wait.ts";

// Empath's [dns] name_server is a DNS server scripted in the test: every question about
// broken.test is answered SERVFAIL (as when a domain's DNSSEC fails or its delegation is lame),
// every other name NXDOMAIN. Deliveries are retried every 100 ms.
function answer(query: DnsQuery) {
  const [{ name }] = query.questions!;
  return [response(query, { rcode: name === "broken.test" ? 2 : 3 })];
}

Deno.test("delivery: a domain whose name server answers SERVFAIL is deferred, never bounced; NXDOMAIN bounces", async () => {
  await using dns = await startScriptedDns({ udp: answer });
  await using server = await startTestEmpath((config) => {
    config.delivery.enabled = true;
    config.dns.nameServer = `127.0.0.1:${dns.nameServer.port}`;
    config.dns.timeout = 500;
    config.queue.retry = [100];
  });
  await using client = await TestSmtpClient.connect(server.port);
  await client.reply();
  await client.command("EHLO submit.test");
  // The null sender: what is bounced is only marked failed, no DSN is sent anywhere.
  const reply = await sendMessage(client, {
    from: "",
    to: ["rcpt@broken.test", "rcpt@missing.test"],
    body: "Subject: dns\r\n\r\nx",
  });
  const id = queuedId(reply);
  const recipients = await eventually(async () => {
    const message = await server.empath.queue.get(id);
    const [broken, missing] = message?.recipients ?? [];
    return broken?.attempts >= 3 && missing?.status === "failed" ? [broken, missing] : undefined;
  });
  const [broken, missing] = recipients;
  assert.equal(broken.status, "deferred");
  assert.equal(broken.lastReply?.code, 451);
  assert.match(broken.lastReply?.enhanced ?? "", /^4\./);
  assert.match(broken.lastReply?.text ?? "", /broken\.test.*answered SERVFAIL \(RCODE 2\)/);
  // A "no such domain" bounces once a second attempt confirms it (lib/delivery/attempt.ts).
  assert.equal(missing.attempts, 2);
  assert.equal(missing.lastReply?.enhanced, "5.1.2");
});
