import assert from "node:assert/strict";
import { startTestEmpath } from "../support/empath.ts";
import { TestSmtpClient } from "../support/smtp_client.ts";

// SMTP smuggling (2023): a bare-LF or bare-CR "end of data" must never end the
// message; whatever follows it must never be executed as commands.
const PAYLOADS = ["\n.\r\n", "\r\n.\n", "\n.\n", "\r.\r\n", "\r\n.\r"];

for (const payload of PAYLOADS) {
  Deno.test(`smuggling payload ${JSON.stringify(payload)} neither ends DATA nor injects a message`, async () => {
    await using server = await startTestEmpath();
    await using client = await TestSmtpClient.connect(server.port);
    await client.reply();
    await client.command("EHLO smuggle.test");
    await client.command("MAIL FROM:<a@smuggle.test>");
    await client.command("RCPT TO:<b@localhost>");
    assert.equal((await client.command("DATA")).code, 354);
    await client.write(
      `Subject: outer\r\n\r\nouter body${payload}MAIL FROM:<admin@smuggle.test>\r\n` +
        "RCPT TO:<victim@localhost>\r\nDATA\r\nSubject: smuggled\r\n\r\nsmuggled\r\n.\r\n",
    );
    const reply = await client.reply();
    assert.ok(reply.code >= 500 && reply.code < 600, `rejected: ${reply.raw}`);
    // Exactly one reply: nothing after the payload was taken as a command.
    assert.equal((await client.command("NOOP")).code, 250);
    assert.equal(await server.empath.queue.count(), 0);
  });
}
