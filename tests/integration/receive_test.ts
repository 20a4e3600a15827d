import assert from "node:assert/strict";
import { bodyText, queuedId, startTestEmpath } from "../support/empath.ts";
import { sendMessage, TestSmtpClient } from "../support/smtp_client.ts";

Deno.test("a message sent over a real socket is queued with its envelope and exact body", async () => {
  await using server = await startTestEmpath();
  await using client = await TestSmtpClient.connect(server.port);
  const greeting = await client.reply();
  assert.equal(greeting.code, 220);
  assert.match(greeting.raw, /^220 mx\.empath\.test /);
  const ehlo = await client.command("EHLO client.test");
  for (
    const ext of [
      "PIPELINING",
      "SIZE 35000000",
      "8BITMIME",
      "SMTPUTF8",
      "ENHANCEDSTATUSCODES",
      "CHUNKING",
    ]
  ) {
    assert.ok(
      ehlo.lines.some((line) => line.slice(4) === ext),
      `EHLO advertises ${ext}: ${ehlo.raw}`,
    );
  }
  const body = "Subject: hello\r\n\r\nline one\r\n..leading dot\r\nlast";
  const reply = await sendMessage(client, { from: "a@client.test", to: ["bob@localhost"], body });
  const id = queuedId(reply);
  assert.match(reply.raw, /^250 2\.0\.0 Ok: queued as /);
  const message = await server.empath.queue.get(id);
  assert.ok(message);
  assert.equal(message.reversePath, "a@client.test");
  assert.deepEqual(message.recipients.map((r) => r.address), ["bob@localhost"]);
  assert.equal(message.receivedFrom.helo, "client.test");
  assert.equal(message.receivedFrom.ip, "127.0.0.1");
  const stored = await bodyText(server.empath, id);
  assert.match(stored, /^Received: from client\.test \(/);
  assert.ok(stored.includes(id), "Received header names the queue id");
  assert.ok(stored.endsWith("\r\nSubject: hello\r\n\r\nline one\r\n.leading dot\r\nlast\r\n"));
  assert.equal((await client.command("QUIT")).code, 221);
});

Deno.test("pipelined transactions get exactly one reply per command, in order", async () => {
  await using server = await startTestEmpath();
  await using client = await TestSmtpClient.connect(server.port);
  await client.reply();
  await client.write(
    "EHLO p.test\r\nMAIL FROM:<a@p.test>\r\nRCPT TO:<x@localhost>\r\nRCPT TO:<y@localhost>\r\n" +
      "DATA\r\n",
  );
  const first = await client.replies(5);
  assert.deepEqual(first.map((r) => r.code), [250, 250, 250, 250, 354]);
  await client.write(
    "one\r\n.\r\nMAIL FROM:<>\r\nRCPT TO:<z@localhost>\r\nDATA\r\n",
  );
  const second = await client.replies(4);
  assert.deepEqual(second.map((r) => r.code), [250, 250, 250, 354]);
  await client.write("two\r\n.\r\nNOOP\r\nQUIT\r\n");
  const third = await client.replies(3);
  assert.deepEqual(third.map((r) => r.code), [250, 250, 221]);
  const ids = [queuedId(second[0]), queuedId(third[0])];
  assert.notEqual(ids[0], ids[1]);
  const bounceLike = await server.empath.queue.get(ids[1]);
  assert.equal(bounceLike?.reversePath, "", "null reverse path is kept");
  assert.equal(await server.empath.queue.count(), 2);
});

Deno.test("relay is denied to untrusted clients for foreign domains but local mail is accepted", async () => {
  await using server = await startTestEmpath((config) => {
    config.policy.trustedNetworks = [];
    config.policy.localDomains = ["example.test"];
  });
  await using client = await TestSmtpClient.connect(server.port);
  await client.reply();
  await client.command("EHLO outside.test");
  await client.command("MAIL FROM:<spammer@outside.test>");
  const foreign = await client.command("RCPT TO:<victim@example.org>");
  assert.equal(foreign.code, 554);
  assert.match(foreign.raw, /^554 5\.7\.1 /);
  const local = await client.command("RCPT TO:<user@Example.TEST>");
  assert.equal(local.code, 250);
  const postmaster = await client.command("RCPT TO:<Postmaster>");
  assert.equal(postmaster.code, 250);
});

Deno.test("trusted networks may relay to any domain", async () => {
  await using server = await startTestEmpath();
  await using client = await TestSmtpClient.connect(server.port);
  await client.reply();
  await client.command("EHLO inside.test");
  await client.command("MAIL FROM:<app@inside.test>");
  assert.equal((await client.command("RCPT TO:<someone@example.org>")).code, 250);
});

Deno.test("BDAT chunks are stored verbatim and BDAT LAST commits the message", async () => {
  await using server = await startTestEmpath();
  await using client = await TestSmtpClient.connect(server.port);
  await client.reply();
  await client.command("EHLO chunk.test");
  await client.command("MAIL FROM:<a@chunk.test>");
  await client.command("RCPT TO:<b@localhost>");
  const part1 = "Subject: chunks\r\n\r\n.not stuffed\r\n";
  const part2 = "binary \u00e9 end\r\n";
  const bytes2 = new TextEncoder().encode(part2);
  await client.write(`BDAT ${part1.length}\r\n${part1}BDAT ${bytes2.length} LAST\r\n`);
  await client.write(bytes2);
  const [r1, r2] = await client.replies(2);
  assert.equal(r1.code, 250);
  const id = queuedId(r2);
  const stored = await bodyText(server.empath, id);
  assert.ok(stored.endsWith(part1 + part2), stored);
});

Deno.test("an unknown command and bad arguments get precise replies without closing", async () => {
  await using server = await startTestEmpath();
  await using client = await TestSmtpClient.connect(server.port);
  await client.reply();
  await client.command("EHLO x.test");
  assert.match((await client.command("FOO bar")).raw, /^500 5\.5\.2 /);
  assert.match((await client.command("MAIL FRM:<a@b.test>")).raw, /^501 5\.5\.4 /);
  assert.match((await client.command("MAIL FROM:<a@b.test> FOO=bar")).raw, /^555 5\.5\.4 /);
  assert.match((await client.command("RCPT TO:<a@localhost>")).raw, /^503 5\.5\.1 /);
  assert.match((await client.command("VRFY bob")).raw, /^252 /);
  assert.equal((await client.command("NOOP")).code, 250);
});

Deno.test("SMTPUTF8: a UTF-8 address is accepted with the SMTPUTF8 parameter and refused without", async () => {
  await using server = await startTestEmpath((config) =>
    config.policy.localDomains = ["bücher.test"]
  );
  await using client = await TestSmtpClient.connect(server.port);
  await client.reply();
  await client.command("EHLO utf8.test");
  assert.match((await client.command("MAIL FROM:<jürgen@utf8.test>")).raw, /^553 5\.6\.7 /);
  assert.equal((await client.command("MAIL FROM:<jürgen@utf8.test> SMTPUTF8")).code, 250);
  assert.equal((await client.command("RCPT TO:<δοκιμή@bücher.test>")).code, 250);
  assert.equal((await client.command("DATA")).code, 354);
  await client.write("Subject: =?utf-8?q?gr=C3=BC=C3=9Fe?=\r\n\r\nGrüße\r\n.\r\n");
  const id = queuedId(await client.reply());
  const message = await server.empath.queue.get(id);
  assert.equal(message?.reversePath, "jürgen@utf8.test");
  assert.deepEqual(message?.recipients.map((r) => r.address), ["δοκιμή@bücher.test"]);
  assert.equal(message?.mailParams?.smtputf8, true);
  assert.match(await bodyText(server.empath, id), /with UTF8SMTP id/);
});
