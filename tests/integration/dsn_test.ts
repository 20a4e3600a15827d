import assert from "node:assert/strict";
import { startTestEmpath } from "../support/empath.ts";
import { TestSmtpClient } from "../support/smtp_client.ts";
import { eventually } from "../support/wait.ts";

/** The text of the first file in a Maildir's `new/`, once there is one. */
function firstMail(dir: string): Promise<string> {
  return eventually(async () => {
    try {
      for await (const entry of Deno.readDir(dir)) {
        return await Deno.readTextFile(`${dir}/${entry.name}`);
      }
    } catch {
      return undefined;
    }
  });
}

Deno.test("NOTIFY=SUCCESS,FAILURE to a Maildir route: a delivered DSN reaches the sender's mailbox", async () => {
  await using server = await startTestEmpath((config) => {
    config.delivery.enabled = true;
  });
  await using client = await TestSmtpClient.connect(server.port);
  await client.reply();
  const ehlo = await client.command("EHLO client.example.test");
  assert.match(ehlo.raw, /^250[- ]DSN$/m);
  assert.equal(
    (await client.command("MAIL FROM:<alice@localhost> RET=HDRS ENVID=QQ+2B314")).code,
    250,
  );
  const rcpt = await client.command(
    "RCPT TO:<bob@localhost> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob+2Bdsn@localhost",
  );
  assert.equal(rcpt.code, 250);
  assert.equal((await client.command("DATA")).code, 354);
  await client.write("Subject: dsn please\r\n\r\nHello\r\n.\r\n");
  assert.equal((await client.reply()).code, 250);

  assert.match(await firstMail(`${server.dir}/maildir/bob/new`), /Subject: dsn please/);
  const report = await firstMail(`${server.dir}/maildir/alice/new`);
  assert.match(report, /^Return-Path: <>\r\n/);
  assert.match(report, /\r\nSubject: Successful Mail Delivery Report\r\n/);
  assert.match(report, /\r\nOriginal-Envelope-Id: QQ\+314\r\n/);
  assert.match(report, /\r\nOriginal-Recipient: rfc822; Bob\+dsn@localhost\r\n/);
  assert.match(report, /\r\nFinal-Recipient: rfc822; bob@localhost\r\nAction: delivered\r\n/);
});

Deno.test("a listener with dsn = false refuses NOTIFY with 555 and does not offer DSN", async () => {
  await using server = await startTestEmpath((config) => {
    config.listen[0].dsn = false;
  });
  await using client = await TestSmtpClient.connect(server.port);
  await client.reply();
  assert.doesNotMatch((await client.command("EHLO client.example.test")).raw, /DSN/);
  assert.equal((await client.command("MAIL FROM:<alice@localhost>")).code, 250);
  assert.equal((await client.command("RCPT TO:<bob@localhost> NOTIFY=NEVER")).code, 555);
});
