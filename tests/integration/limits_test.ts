import assert from "node:assert/strict";
import { queuedId, startTestEmpath } from "../support/empath.ts";
import { sendMessage, TestSmtpClient } from "../support/smtp_client.ts";

Deno.test("a command line over 512 octets gets 500 5.5.2 and the session goes on", async () => {
  await using server = await startTestEmpath((config) => config.listen[0].dsn = false);
  await using client = await TestSmtpClient.connect(server.port);
  await client.reply();
  await client.command("EHLO long.test");
  const reply = await client.command(`MAIL FROM:<${"a".repeat(600)}@long.test>`);
  assert.match(reply.raw, /^500 5\.5\.2 /);
  assert.equal((await client.command("NOOP")).code, 250);
});

Deno.test("with DSN offered, command lines may be 500 octets longer (RFC 3461 §5), no more", async () => {
  await using server = await startTestEmpath();
  await using client = await TestSmtpClient.connect(server.port);
  await client.reply();
  await client.command("EHLO long.test");
  const long = await client.command(`MAIL FROM:<${"a".repeat(1100)}@long.test>`);
  assert.match(long.raw, /^500 5\.5\.2 /);
  assert.equal((await client.command("MAIL FROM:<a@long.test>")).code, 250);
  const orcpt = `rfc822;${"b".repeat(480)}@localhost`;
  const rcpt = await client.command(`RCPT TO:<bob@localhost> NOTIFY=SUCCESS ORCPT=${orcpt}`);
  assert.equal(rcpt.code, 250);
});

Deno.test("a message over the size limit is rejected with 552 and not queued", async () => {
  await using server = await startTestEmpath((config) => config.policy.maxMessageSize = 10_000);
  await using client = await TestSmtpClient.connect(server.port);
  await client.reply();
  await client.command("EHLO big.test");
  assert.match((await client.command("MAIL FROM:<a@big.test> SIZE=20000")).raw, /^552 5\.3\.4 /);
  const line = "x".repeat(98) + "\r\n";
  const reply = await sendMessage(client, {
    from: "a@big.test",
    to: ["b@localhost"],
    body: line.repeat(200),
  });
  assert.match(reply.raw, /^552 5\.3\.4 /);
  assert.equal(await server.empath.queue.count(), 0);
  const ok = await sendMessage(client, { from: "a@big.test", to: ["b@localhost"], body: "small" });
  queuedId(ok);
});

Deno.test("a text line over 1000 octets in DATA rejects the message", async () => {
  await using server = await startTestEmpath();
  await using client = await TestSmtpClient.connect(server.port);
  await client.reply();
  await client.command("EHLO line.test");
  const reply = await sendMessage(client, {
    from: "a@line.test",
    to: ["b@localhost"],
    body: "y".repeat(1200),
  });
  assert.ok(reply.code >= 500, reply.raw);
  assert.equal(await server.empath.queue.count(), 0);
});

Deno.test("recipients beyond max_recipients get 452 4.5.3", async () => {
  await using server = await startTestEmpath((config) => config.policy.maxRecipients = 3);
  await using client = await TestSmtpClient.connect(server.port);
  await client.reply();
  await client.command("EHLO many.test");
  await client.command("MAIL FROM:<a@many.test>");
  for (let i = 0; i < 3; i++) {
    assert.equal((await client.command(`RCPT TO:<u${i}@localhost>`)).code, 250);
  }
  assert.match((await client.command("RCPT TO:<u9@localhost>")).raw, /^452 4\.5\.3 /);
});

Deno.test("an envelope too large to queue gets 452 4.5.3 at RCPT, and what was accepted is queued", async () => {
  await using server = await startTestEmpath((config) => config.policy.maxRecipients = 1000);
  await using client = await TestSmtpClient.connect(server.port);
  await client.reply();
  await client.command("EHLO many.test");
  await client.command("MAIL FROM:<a@many.test>");
  // Each recipient carries a long ORCPT (RFC 3461): far fewer than 1,000 fit in one record.
  const orcpt = `ORCPT=rfc822;${"x".repeat(400)}@example.org`;
  let accepted = 0;
  let refused = "";
  for (let i = 0; i < 1000 && refused === ""; i++) {
    const reply = await client.command(`RCPT TO:<u${i}@localhost> ${orcpt}`);
    if (reply.code === 250) accepted++;
    else refused = reply.raw;
  }
  assert.match(refused, /^452 4\.5\.3 /, "refused with 452 before the record overflows");
  assert.ok(accepted > 10, `${accepted} recipients accepted first`);
  await client.command("DATA");
  await client.write("Subject: many\r\n\r\nbody\r\n.\r\n");
  const id = queuedId(await client.reply());
  const stored = await server.empath.queue.get(id);
  assert.equal(stored?.recipients.length, accepted);
});

Deno.test("1,000 lines of garbage end in 421 after max_errors and the server keeps serving", async () => {
  await using server = await startTestEmpath();
  await using client = await TestSmtpClient.connect(server.port);
  await client.reply();
  let garbage = "";
  for (let i = 0; i < 1000; i++) garbage += `\u0001garbage ${i} ${"#".repeat(i % 700)}\r\n`;
  await client.write(garbage).catch(() => {});
  const codes: number[] = [];
  while (true) {
    const reply = await client.reply().catch(() => undefined);
    if (reply === undefined) break;
    codes.push(reply.code);
    if (reply.code === 421) break;
  }
  assert.equal(codes.at(-1), 421);
  assert.equal(codes.length, server.config.limits.maxErrors);
  assert.ok(await client.closedByServer());
  await using next = await TestSmtpClient.connect(server.port);
  assert.equal((await next.reply()).code, 220);
});

Deno.test("connections beyond the per-IP cap get 421 4.7.0", async () => {
  await using server = await startTestEmpath((config) => config.limits.maxConnectionsPerIp = 2);
  await using a = await TestSmtpClient.connect(server.port);
  await using b = await TestSmtpClient.connect(server.port);
  assert.equal((await a.reply()).code, 220);
  assert.equal((await b.reply()).code, 220);
  await using c = await TestSmtpClient.connect(server.port);
  assert.match((await c.reply()).raw, /^421 4\.7\.0 /);
  a.close();
  await new Promise((resolve) => setTimeout(resolve, 100));
  await using d = await TestSmtpClient.connect(server.port);
  assert.equal((await d.reply()).code, 220);
});

Deno.test("a silent client is disconnected with 421 4.4.2 after the command timeout", async () => {
  await using server = await startTestEmpath((config) => config.limits.timeouts.command = 300);
  await using client = await TestSmtpClient.connect(server.port);
  await client.reply();
  await client.command("EHLO idle.test");
  const started = Date.now();
  const reply = await client.reply(5000);
  assert.match(reply.raw, /^421 4\.4\.2 .*timeout/);
  assert.ok(Date.now() - started >= 250);
  assert.ok(await client.closedByServer());
});

Deno.test("a client stalling in DATA is disconnected after the data timeout and nothing is queued", async () => {
  await using server = await startTestEmpath((config) => config.limits.timeouts.data = 300);
  await using client = await TestSmtpClient.connect(server.port);
  await client.reply();
  await client.command("EHLO slow.test");
  await client.command("MAIL FROM:<a@slow.test>");
  await client.command("RCPT TO:<b@localhost>");
  await client.command("DATA");
  await client.write("Subject: half\r\n\r\npartial");
  assert.match((await client.reply(5000)).raw, /^421 4\.4\.2 /);
  assert.ok(await client.closedByServer());
  assert.equal(await server.empath.queue.count(), 0);
});
