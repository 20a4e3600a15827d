import assert from "node:assert/strict";
import { ConfigError } from "../../lib/config/mod.ts";
import { makeTestKeys, type TestKeys, verifyWithMailauth } from "../../lib/dkim/testing.ts";
import { testCertificates } from "../support/certs.ts";
import { hashPassword } from "../../lib/config/mod.ts";
import {
  bodyBytes,
  bodyText,
  queuedId,
  startTestEmpath,
  type TestEmpath,
} from "../support/empath.ts";
import { sendMessage, TestSmtpClient } from "../support/smtp_client.ts";
import { skipWithout } from "../support/peers.ts";
import { eventually } from "../support/wait.ts";

const MESSAGE = "From: Alice <alice@example.test>\r\nTo: bob@localhost\r\nSubject: signed\r\n" +
  "Date: Thu, 02 Jan 2025 03:04:05 +0000\r\nMessage-ID: <1@example.test>\r\n\r\n" +
  "Hello Bob,\r\n\r\n  this line has  spaces \r\n..and a dot\r\n";

async function send(server: TestEmpath, body: string, from = "alice@example.test") {
  await using client = await TestSmtpClient.connect(server.port);
  await client.reply();
  await client.command("EHLO client.example.test");
  return queuedId(await sendMessage(client, { from, to: ["bob@localhost"], body }));
}

async function withKeys(run: (keys: TestKeys) => Promise<void>): Promise<void> {
  await using keys = await makeTestKeys([{ algorithm: "rsa" }, { algorithm: "ed25519" }]);
  await run(keys);
}

Deno.test("mail from a trusted network is signed at queue time with both keys, and size is exact", async () => {
  await withKeys(async (keys) => {
    await using server = await startTestEmpath((config) => config.dkim = keys.configs);
    const id = await send(server, MESSAGE);
    const stored = await bodyBytes(server.empath, id);
    const text = new TextDecoder().decode(stored);
    assert.match(text, /^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed\/relaxed; d=example\.test;/);
    assert.match(text, /\r\nDKIM-Signature: v=1; a=ed25519-sha256; [^]*\r\nReceived: from client/);
    assert.ok(text.endsWith(`${MESSAGE.replace("..and", ".and")}\r\n`)); // sendMessage adds a CRLF
    const record = await server.empath.queue.get(id);
    assert.equal(record?.size, stored.length);
    const verdicts = await verifyWithMailauth(stored, keys.records);
    assert.deepEqual(verdicts.map((v) => [v.result, v.algorithm]), [
      ["pass", "rsa-sha256"],
      ["pass", "ed25519-sha256"],
    ]);
  });
});

Deno.test("a large message sent with BDAT is signed without changing its chunks", async () => {
  await withKeys(async (keys) => {
    await using server = await startTestEmpath((config) => config.dkim = keys.configs);
    const line = "0123456789 abcdefghij\tKLMNOPQRST ".repeat(30) + "\r\n";
    const body = MESSAGE + line.repeat(1500); // about 1.4 MB
    await using client = await TestSmtpClient.connect(server.port);
    await client.reply();
    await client.command("EHLO client.example.test");
    await client.command("MAIL FROM:<alice@example.test>");
    await client.command("RCPT TO:<bob@localhost>");
    const bytes = new TextEncoder().encode(body);
    const half = 700_001;
    await client.write(`BDAT ${half}\r\n`);
    await client.write(bytes.subarray(0, half));
    assert.equal((await client.reply()).code, 250);
    await client.write(`BDAT ${bytes.length - half} LAST\r\n`);
    await client.write(bytes.subarray(half));
    const id = queuedId(await client.reply());
    const stored = await bodyBytes(server.empath, id);
    const record = await server.empath.queue.get(id);
    assert.equal(record?.size, stored.length);
    assert.equal(record?.chunks, Math.ceil((stored.length - record.headerPrefix!.length) / 64_000));
    const verdicts = await verifyWithMailauth(stored, keys.records);
    assert.deepEqual(verdicts.map((v) => v.result), ["pass", "pass"]);
  });
});

Deno.test("mail relayed in from an untrusted, unauthenticated client is never signed", async () => {
  await withKeys(async (keys) => {
    await using server = await startTestEmpath((config) => {
      config.dkim = keys.configs;
      config.policy.trustedNetworks = [];
    });
    const id = await send(server, MESSAGE);
    const text = await bodyText(server.empath, id);
    assert.match(text, /^Received: from client\.example\.test/);
    assert.ok(!text.includes("DKIM-Signature"));
    assert.equal((await server.empath.queue.get(id))?.headerPrefix, undefined);
  });
});

Deno.test("trusted mail whose From domain has no key is queued unsigned", async () => {
  await withKeys(async (keys) => {
    await using server = await startTestEmpath((config) => config.dkim = keys.configs);
    const id = await send(server, MESSAGE.replace("alice@example.test", "alice@other.test"));
    assert.match(await bodyText(server.empath, id), /^Received: /);
  });
});

Deno.test({
  name: "mail from an authenticated client is signed",
  ignore: skipWithout("openssl", "openssl"),
  async fn() {
    await using keys = await makeTestKeys([{ algorithm: "ed25519" }]);
    const certs = await testCertificates();
    const passwordHash = await hashPassword("s3cret pass");
    await using server = await startTestEmpath((config) => {
      config.dkim = keys.configs;
      config.tls = { cert: certs.cert, key: certs.key };
      config.policy.trustedNetworks = [];
      config.auth.users = [{ username: "alice", passwordHash }];
      config.listen[0] = { ...config.listen[0], auth: "required" };
    });
    await using client = await TestSmtpClient.connect(server.port);
    await client.reply();
    await client.command("EHLO client.example.test");
    await client.command("STARTTLS");
    await client.startTls(certs.caPem);
    await client.command("EHLO client.example.test");
    const plain = btoa("\0alice\0s3cret pass");
    assert.equal((await client.command(`AUTH PLAIN ${plain}`)).code, 235);
    const reply = await sendMessage(client, {
      from: "alice@example.test",
      to: ["carol@example.org"],
      body: MESSAGE,
    });
    const stored = await bodyBytes(server.empath, queuedId(reply));
    const verdicts = await verifyWithMailauth(stored, keys.records);
    assert.deepEqual(verdicts.map((v) => v.result), ["pass"]);
  },
});

Deno.test("a message injected with POST /v1/messages is signed", async () => {
  await withKeys(async (keys) => {
    await using server = await startTestEmpath((config) => config.dkim = keys.configs);
    const token = (await Deno.readTextFile(`${server.dir}/control.token`)).trim();
    const { port } = server.empath.control;
    const url = `http://127.0.0.1:${port}/v1/messages?from=alice@example.test&to=bob@localhost`;
    const response = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "message/rfc822" },
      body: MESSAGE,
    });
    assert.equal(response.status, 202);
    const { id } = await response.json();
    const stored = await bodyBytes(server.empath, id);
    assert.match(new TextDecoder().decode(stored), /^DKIM-Signature: [^]*\r\nReceived: from /);
    assert.equal((await server.empath.queue.get(id))?.size, stored.length);
    const verdicts = await verifyWithMailauth(stored, keys.records);
    assert.deepEqual(verdicts.map((v) => v.result), ["pass", "pass"]);
  });
});

Deno.test("the delivered copy (Maildir, with Return-Path and Delivered-To added) still verifies", async () => {
  await withKeys(async (keys) => {
    await using server = await startTestEmpath((config) => {
      config.dkim = keys.configs;
      config.delivery.enabled = true;
    });
    await send(server, MESSAGE);
    const dir = `${server.dir}/maildir/bob/new`;
    const file = await eventually(async () => {
      try {
        for await (const entry of Deno.readDir(dir)) return `${dir}/${entry.name}`;
      } catch {
        return undefined;
      }
    });
    const delivered = await Deno.readFile(file);
    assert.match(new TextDecoder().decode(delivered), /^Return-Path: <alice@example\.test>\r\n/);
    const verdicts = await verifyWithMailauth(delivered, keys.records);
    assert.deepEqual(verdicts.map((v) => v.result), ["pass", "pass"]);
  });
});

Deno.test("reload() re-reads the keys: a new selector signs, a bad key file is refused", async () => {
  await using first = await makeTestKeys([{ algorithm: "ed25519", selector: "old" }]);
  await using second = await makeTestKeys([{ algorithm: "ed25519", selector: "new" }]);
  await using server = await startTestEmpath((config) => config.dkim = first.configs);
  assert.match(await bodyText(server.empath, await send(server, MESSAGE)), /\ss=old;/);
  await server.empath.reload({ ...server.config, dkim: second.configs });
  assert.match(await bodyText(server.empath, await send(server, MESSAGE)), /\ss=new;/);
  const broken = [{ ...second.configs[0], key: `${second.dir}/missing.pem` }];
  await assert.rejects(
    () => server.empath.reload({ ...server.config, dkim: broken }),
    (error) => error instanceof ConfigError && /dkim\[0\]\.key: cannot read/.test(error.message),
  );
  assert.match(await bodyText(server.empath, await send(server, MESSAGE)), /\ss=new;/);
});
