import assert from "node:assert/strict";
import { queuedId, startTestEmpath, type TestEmpath } from "../support/empath.ts";
import { startDsnPeer } from "../support/dsn_peer.ts";
import { debianPython, run, skipWithout } from "../support/peers.ts";
import { startAiosmtpd } from "../support/sink.ts";
import { TestSmtpClient } from "../support/smtp_client.ts";
import { eventually } from "../support/wait.ts";

// DSN (RFC 3461) end to end over real sockets: Empath relays `relay.test` through a static
// route to a real next hop (python aiosmtpd, which does not offer DSN, or the Deno peer of
// tests/support/dsn_peer.ts, which does); the sender is alice@localhost, whose domain goes to
// a Maildir, so every report Empath sends her can be read there.
const NO_AIOSMTPD = skipWithout("python3", "python3-aiosmtpd");
const SENDER = "alice@localhost";
const NO_SUCH_USER = "550 5.1.1 No such user here";

/** Empath relaying `relay.test` to the peer on `port`, `localhost` to its Maildir. */
async function startRelay(port: number): Promise<TestEmpath> {
  return await startTestEmpath((config) => {
    config.delivery.enabled = true;
    config.routes.push({
      domains: ["relay.test"],
      kind: "smtp",
      to: `127.0.0.1:${port}`,
      tls: "disabled",
      verifyCertificates: false,
    });
  });
}

/** Submits one message with the exact MAIL and RCPT lines given; returns its queue id. */
async function submit(server: TestEmpath, mail: string, rcpts: string[]): Promise<string> {
  await using client = await TestSmtpClient.connect(server.port);
  await client.reply();
  assert.match((await client.command("EHLO submit.test")).raw, /^250[- ]DSN$/m);
  const mailReply = await client.command(mail);
  assert.equal(mailReply.code, 250, mailReply.raw);
  for (const rcpt of rcpts) {
    const reply = await client.command(rcpt);
    assert.equal(reply.code, 250, reply.raw);
  }
  assert.equal((await client.command("DATA")).code, 354);
  await client.write("Subject: dsn test\r\nMessage-ID: <dsn1@localhost>\r\n\r\nbody\r\n.\r\n");
  return queuedId(await client.reply());
}

/** Waits until the queue is empty: the message is done and any report it caused delivered. */
async function drained(server: TestEmpath): Promise<void> {
  await eventually(async () => (await server.empath.queue.count()) === 0);
}

/** The messages in the sender's Maildir (`new/`), oldest name first; none when there is none. */
async function senderMailbox(server: TestEmpath): Promise<string[]> {
  const dir = `${server.dir}/maildir/alice/new`;
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  return await Promise.all(names.sort().map((name) => Deno.readTextFile(`${dir}/${name}`)));
}

const PARSE_DSN = `
import email, sys
msg = email.message_from_bytes(sys.stdin.buffer.read())
print("TYPE", msg.get_content_type(), msg.get_param("report-type"))
print("SUBJECT", msg["Subject"])
parts = msg.get_payload()
print("PARTS", " ".join(part.get_content_type() for part in parts))
blocks = parts[1].get_payload()
print("ENVID", blocks[0]["Original-Envelope-Id"])
for block in blocks[1:]:
    print("RCPT", block["Final-Recipient"], block["Action"], block["Status"],
          block["Original-Recipient"])
`;

/** A report parsed by python's email package: one line per fact, one `RCPT` line per block. */
async function parseReport(report: string): Promise<string[]> {
  const parsed = await run(debianPython(), ["-c", PARSE_DSN], { stdin: report });
  assert.equal(parsed.code, 0, parsed.stderr);
  return parsed.stdout.trim().split("\n");
}

Deno.test({
  name: "dsn: NOTIFY=NEVER recipients refused with 550 get no bounce; the others of the message do",
  ignore: NO_AIOSMTPD,
  async fn() {
    await using peer = await startAiosmtpd({
      replies: { "never@relay.test": NO_SUCH_USER, "plain@relay.test": NO_SUCH_USER },
    });
    await using server = await startRelay(peer.port);

    await submit(server, `MAIL FROM:<${SENDER}>`, ["RCPT TO:<never@relay.test> NOTIFY=NEVER"]);
    await drained(server);
    assert.deepEqual(await senderMailbox(server), [], "no bounce for NOTIFY=NEVER alone");

    await submit(server, `MAIL FROM:<${SENDER}>`, [
      "RCPT TO:<never@relay.test> NOTIFY=NEVER",
      "RCPT TO:<plain@relay.test>",
    ]);
    await drained(server);
    const reports = await senderMailbox(server);
    assert.equal(reports.length, 1, "one bounce for the message");
    const lines = await parseReport(reports[0]);
    assert.ok(lines.includes("TYPE multipart/report delivery-status"), lines.join("\n"));
    assert.ok(lines.includes("SUBJECT Undelivered Mail Returned to Sender"), lines.join("\n"));
    assert.deepEqual(lines.filter((line) => line.startsWith("RCPT ")), [
      "RCPT rfc822; plain@relay.test failed 5.1.1 None",
    ]);
    assert.equal((await peer.messages()).length, 0, "the peer accepted nothing");
  },
});

Deno.test({
  name: "dsn: NOTIFY=SUCCESS to a next hop without DSN sends a relayed DSN with the ENVID",
  ignore: NO_AIOSMTPD,
  async fn() {
    await using peer = await startAiosmtpd();
    await using server = await startRelay(peer.port);
    await submit(server, `MAIL FROM:<${SENDER}> RET=FULL ENVID=env+2B42`, [
      "RCPT TO:<bob@relay.test> NOTIFY=SUCCESS ORCPT=rfc822;Bob+2Bx@relay.test",
    ]);
    await drained(server);

    const [relayed] = await peer.messages();
    assert.deepEqual(relayed.rcptTos, ["bob@relay.test"]);
    assert.ok(!relayed.mailOptions.some((option) => /^(RET|ENVID)=/i.test(option)));
    const reports = await senderMailbox(server);
    assert.equal(reports.length, 1);
    assert.match(reports[0], /^Return-Path: <>\r\n/);
    const lines = await parseReport(reports[0]);
    assert.ok(lines.includes("SUBJECT Successful Mail Delivery Report"), lines.join("\n"));
    // RFC 3461 §4.3: a success report returns the headers only, whatever RET asked for.
    assert.ok(
      lines.includes("PARTS text/plain message/delivery-status text/rfc822-headers"),
      lines.join("\n"),
    );
    assert.ok(lines.includes("ENVID env+42"), lines.join("\n"));
    assert.deepEqual(lines.filter((line) => line.startsWith("RCPT ")), [
      "RCPT rfc822; bob@relay.test relayed 2.0.0 rfc822; Bob+x@relay.test",
    ]);
  },
});

Deno.test("dsn: a next hop offering DSN gets RET, ENVID, NOTIFY and ORCPT, and Empath reports nothing", async () => {
  await using peer = startDsnPeer();
  await using server = await startRelay(peer.port);
  await submit(server, `MAIL FROM:<${SENDER}> RET=HDRS ENVID=QQ+2B314+3Dx+20y`, [
    "RCPT TO:<bob@relay.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob+2Bdsn@relay.test",
    "RCPT TO:<carol@relay.test>",
  ]);
  await drained(server);

  assert.equal(peer.messages.length, 1);
  const [message] = peer.messages;
  // The ENVID was decoded on receipt ("QQ+314=x y") and is xtext-encoded again on the way out.
  assert.equal(message.mail, `MAIL FROM:<${SENDER}> RET=HDRS ENVID=QQ+2B314+3Dx+20y`);
  assert.deepEqual(message.rcpts, [
    "RCPT TO:<bob@relay.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob+2Bdsn@relay.test",
    "RCPT TO:<carol@relay.test>",
  ]);
  assert.match(message.body, /\r\nSubject: dsn test\r\n/);
  // RFC 3461 §6.2.1: the hop took the NOTIFY request over; a success report is its to send.
  assert.deepEqual(await senderMailbox(server), []);
});

Deno.test("dsn: a next hop offering DSN that refuses a RCPT leaves the bounce to Empath", async () => {
  await using peer = startDsnPeer({ replies: { "gone@relay.test": NO_SUCH_USER } });
  await using server = await startRelay(peer.port);
  await submit(server, `MAIL FROM:<${SENDER}> ENVID=E1`, [
    "RCPT TO:<bob@relay.test> NOTIFY=SUCCESS,FAILURE",
    "RCPT TO:<gone@relay.test> NOTIFY=FAILURE ORCPT=rfc822;gone@relay.test",
  ]);
  await drained(server);

  assert.equal(peer.messages.length, 1);
  assert.deepEqual(peer.messages[0].rcpts, [
    "RCPT TO:<bob@relay.test> NOTIFY=SUCCESS,FAILURE",
    "RCPT TO:<gone@relay.test> NOTIFY=FAILURE ORCPT=rfc822;gone@relay.test",
  ]);
  // The refused recipient never reached the hop, so Empath reports it; bob is the hop's to report.
  const reports = await senderMailbox(server);
  assert.equal(reports.length, 1);
  assert.match(reports[0], /\r\nSubject: Undelivered Mail Returned to Sender\r\n/);
  assert.match(reports[0], /\r\nOriginal-Envelope-Id: E1\r\n/);
  assert.match(
    reports[0],
    /\r\nOriginal-Recipient: rfc822; gone@relay\.test\r\nFinal-Recipient: rfc822; gone@relay\.test\r\nAction: failed\r\nStatus: 5\.1\.1\r\n/,
  );
  assert.doesNotMatch(reports[0], /Final-Recipient: rfc822; bob@relay\.test/);
});
