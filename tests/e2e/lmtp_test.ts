import { eventually } from "../support/wait.ts";
import assert from "node:assert/strict";
import { openSmtpConnection } from "../../lib/delivery/mod.ts";
import { type Dovecot, skipWithoutDovecot, startDovecot } from "../support/dovecot.ts";
import { startTestEmpath, type TestEmpath } from "../support/empath.ts";
import { sendMessage, TestSmtpClient } from "../support/smtp_client.ts";

// A real LMTP server (Dovecot) behind an `lmtp` route, over TCP and over its
// Unix socket. Dovecot answers RCPT for an unknown user with 550 5.1.1, and
// for an over-quota user accepts RCPT and then refuses the message after the
// final dot with 552 5.2.2: one reply per accepted recipient (RFC 2033 §4.2).
// The sender's domain goes to a Maildir route, where the bounce lands.
const IGNORE = skipWithoutDovecot();

const GOOD = "good@mail.test";
const FULL = "full@mail.test";
const UNKNOWN = "nobody@mail.test";
const SENDER = "sender@origin.test";
// The test client sends the body as given, so the leading dot is stuffed here.
const SENT = "Subject: lmtp\r\nMessage-ID: <l1@origin.test>\r\n\r\nHello LMTP\r\n..dot\r\nend";
const DELIVERED = "Subject: lmtp\nMessage-ID: <l1@origin.test>\n\nHello LMTP\n.dot\nend\n";

async function setup(to: (dovecot: Dovecot) => string) {
  const dovecot = await startDovecot({ users: [GOOD], fullUsers: [FULL] });
  let bounces = "";
  const server = await startTestEmpath((config) => {
    bounces = config.queue.path.replace(/queue\.kv$/, "bounces");
    config.delivery.enabled = true;
    config.queue.retry = [300];
    config.routes = [
      { domains: ["mail.test"], kind: "lmtp", to: to(dovecot) },
      { domains: ["origin.test"], kind: "maildir", path: bounces },
    ];
  });
  return {
    dovecot,
    server,
    bounces,
    async [Symbol.asyncDispose]() {
      await server[Symbol.asyncDispose]();
      await dovecot[Symbol.asyncDispose]();
    },
  };
}

async function submit(server: TestEmpath, to: string[], body: string) {
  await using client = await TestSmtpClient.connect(server.port);
  await client.reply();
  await client.command("EHLO submit.test");
  const reply = await sendMessage(client, { from: SENDER, to, body });
  assert.equal(reply.code, 250, reply.raw);
}

async function maildirFiles(dir: string): Promise<string[]> {
  const texts: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile) texts.push(await Deno.readTextFile(`${dir}/${entry.name}`));
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return texts;
}

async function deliversAndBounces(to: (dovecot: Dovecot) => string) {
  await using env = await setup(to);
  await submit(env.server, [GOOD, UNKNOWN, FULL], SENT);
  const [folded] = await eventually(async () => {
    const files = await maildirFiles(`${env.bounces}/sender/new`);
    return files.length > 0 ? files : undefined;
  }).catch(async (error) => {
    const { messages } = await env.server.empath.queue.list();
    const states = messages.flatMap((m) =>
      m.recipients.map((r) => [r.address, r.status, r.lastReply])
    );
    throw new Error(`No bounce arrived; queue: ${JSON.stringify(states)}`, { cause: error });
  });
  const [message] = await env.dovecot.messages(GOOD);
  assert.ok(message !== undefined, `no message for ${GOOD}: ${await env.dovecot.log()}`);
  assert.match(message, /^Return-Path: <sender@origin\.test>\n/);
  assert.match(message, /\nReceived: from submit\.test/);
  assert.ok(message.endsWith("\n" + DELIVERED), JSON.stringify(message));
  assert.deepEqual(await env.dovecot.messages(FULL), []);

  // One DSN for both failures: 550 at RCPT, 552 after the final dot.
  const bounce = folded.replace(/\r\n[ \t]+/g, " ");
  assert.match(bounce, /^Return-Path: <>\r\n/);
  assert.match(bounce, /Final-Recipient: rfc822; ?nobody@mail\.test/);
  assert.match(
    bounce,
    /Diagnostic-Code: smtp; ?550 5\.1\.1 <nobody@mail\.test> User doesn't exist/,
  );
  assert.match(bounce, /Final-Recipient: rfc822; ?full@mail\.test/);
  assert.match(bounce, /Diagnostic-Code: smtp; ?552 5\.2\.2 <full@mail\.test> Quota exceeded/);
  assert.doesNotMatch(bounce, /Final-Recipient: rfc822; ?good@mail\.test/);
  assert.match(bounce, /Message-ID: <l1@origin\.test>/);
  await eventually(async () => (await env.server.empath.queue.count()) === 0 ? true : undefined);
}

Deno.test({
  name: "lmtp route: Dovecot over TCP stores one recipient and the 550 and 552 ones bounce",
  ignore: IGNORE,
  fn: () => deliversAndBounces((dovecot) => `${dovecot.host}:${dovecot.port}`),
});

Deno.test({
  name: "lmtp route: Dovecot over a Unix socket stores one recipient and the others bounce",
  ignore: IGNORE,
  fn: () => deliversAndBounces((dovecot) => `unix:${dovecot.socketPath}`),
});

Deno.test({
  name: "openSmtpConnection() speaks LMTP to Dovecot over a Unix socket with replies per recipient",
  ignore: IGNORE,
  async fn() {
    await using dovecot = await startDovecot({ users: [GOOD], fullUsers: [FULL] });
    const opened = await openSmtpConnection({
      host: "localhost",
      port: 0,
      unixPath: dovecot.socketPath,
      heloName: "client.test",
      tls: "opportunistic",
      verifyCertificates: false,
      lmtp: true,
    });
    assert.equal(opened.kind, "connected", JSON.stringify(opened));
    if (opened.kind !== "connected") return;
    await using connection = opened.connection;
    assert.equal(connection.tls, undefined);
    const body = new TextEncoder().encode("Subject: u\r\n\r\n.x\n");
    const result = await connection.deliver({
      reversePath: SENDER,
      recipients: [GOOD, UNKNOWN, FULL],
      size: body.byteLength,
      needsSmtputf8: false,
      eightBit: false,
      body: ReadableStream.from([body]),
    });
    assert.equal(result.kind, "transaction", JSON.stringify(result));
    if (result.kind !== "transaction") return;
    const codes = Object.fromEntries(result.recipients.map((r) => [r.address, r.reply.code]));
    assert.deepEqual(codes, { [GOOD]: 250, [UNKNOWN]: 550, [FULL]: 552 });
    const [message] = await dovecot.messages(GOOD);
    assert.ok(message?.endsWith("\nSubject: u\n\n.x\n"), JSON.stringify(message));
  },
});

Deno.test({
  name: "openSmtpConnection() reports a missing Unix socket as connection-failed",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "empath-lmtp-" });
    try {
      const result = await openSmtpConnection({
        host: "localhost",
        port: 0,
        unixPath: `${dir}/missing.sock`,
        heloName: "client.test",
        tls: "disabled",
        verifyCertificates: false,
        lmtp: true,
      });
      assert.equal(result.kind, "connection-failed");
      assert.match(
        result.kind === "connection-failed" ? result.reason : "",
        /Cannot connect to Unix socket ".*missing\.sock"/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
