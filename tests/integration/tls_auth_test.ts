import assert from "node:assert/strict";
import { hashPassword } from "../../lib/config/mod.ts";
import { testCertificates } from "../support/certs.ts";
import { bodyText, queuedId, startTestEmpath } from "../support/empath.ts";
import { sendMessage, TestSmtpClient } from "../support/smtp_client.ts";
import { skipWithout } from "../support/peers.ts";

const NO_OPENSSL = skipWithout("openssl", "openssl");

async function tlsServer(auth: "disabled" | "optional" | "required" = "disabled") {
  const certs = await testCertificates();
  const passwordHash = await hashPassword("s3cret pass");
  const server = await startTestEmpath((config) => {
    config.tls = { cert: certs.cert, key: certs.key };
    config.policy.trustedNetworks = [];
    config.auth.users = [{ username: "alice", passwordHash }];
    config.listen[0] = { ...config.listen[0], auth };
  });
  return { server, certs };
}

const b64 = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));

Deno.test({
  name: "STARTTLS upgrades the session, resets it, and the Received header records TLS",
  ignore: NO_OPENSSL,
  async fn() {
    const { server, certs } = await tlsServer();
    await using _server = server;
    await using client = await TestSmtpClient.connect(server.port);
    await client.reply();
    const ehlo = await client.command("EHLO tls.test");
    assert.ok(ehlo.lines.some((l) => l.endsWith("STARTTLS")));
    assert.ok(!ehlo.lines.some((l) => l.includes("AUTH")), "no AUTH before TLS");
    assert.match((await client.command("STARTTLS")).raw, /^220 2\.0\.0 /);
    await client.startTls(certs.caPem);
    assert.equal((await client.command("MAIL FROM:<a@tls.test>")).code, 503, "EHLO again first");
    const again = await client.command("EHLO tls.test");
    assert.ok(!again.lines.some((l) => l.endsWith("STARTTLS")), "no STARTTLS twice");
    const reply = await sendMessage(client, { from: "a@tls.test", to: ["b@localhost"], body: "x" });
    const stored = await bodyText(server.empath, queuedId(reply));
    assert.match(stored, /with ESMTPS/);
    assert.match(stored, /TLSv1\.[23]/);
    const message = await server.empath.queue.get(queuedId(reply));
    assert.match(message?.receivedFrom.tls?.version ?? "", /TLSv1\.[23]/);
  },
});

Deno.test({
  name: "plaintext pipelined after STARTTLS is discarded, never executed (CVE-2011-0411)",
  ignore: NO_OPENSSL,
  async fn() {
    const { server, certs } = await tlsServer();
    await using _server = server;
    await using client = await TestSmtpClient.connect(server.port);
    await client.reply();
    await client.command("EHLO inject.test");
    await client.write("STARTTLS\r\nMAIL FROM:<injected@evil.test>\r\n");
    assert.equal((await client.reply()).code, 220);
    await client.startTls(certs.caPem);
    await client.command("EHLO inject.test");
    // If the injected MAIL had been executed, this MAIL would be a bad sequence (503).
    assert.equal((await client.command("MAIL FROM:<real@inject.test>")).code, 250);
  },
});

Deno.test({
  name: "a failed TLS handshake closes only that connection",
  ignore: NO_OPENSSL,
  async fn() {
    const { server } = await tlsServer();
    await using _server = server;
    await using bad = await TestSmtpClient.connect(server.port);
    await bad.reply();
    await bad.command("EHLO bad.test");
    await bad.command("STARTTLS");
    await bad.write("this is not a TLS client hello\r\n\r\n");
    assert.ok(await bad.closedByServer());
    await using good = await TestSmtpClient.connect(server.port);
    assert.equal((await good.reply()).code, 220);
    assert.equal((await good.command("EHLO good.test")).code, 250);
  },
});

Deno.test({
  name: "AUTH PLAIN and LOGIN are offered after TLS only, and allow relaying",
  ignore: NO_OPENSSL,
  async fn() {
    const { server, certs } = await tlsServer("optional");
    await using _server = server;
    await using client = await TestSmtpClient.connect(server.port);
    await client.reply();
    await client.command("EHLO sub.test");
    assert.notEqual((await client.command(`AUTH PLAIN ${b64("\0alice\0s3cret pass")}`)).code, 235);
    await client.command("STARTTLS");
    await client.startTls(certs.caPem);
    const ehlo = await client.command("EHLO sub.test");
    assert.ok(ehlo.lines.some((l) => /AUTH PLAIN LOGIN/.test(l)), ehlo.raw);
    await client.command("MAIL FROM:<a@sub.test>");
    assert.equal(
      (await client.command("RCPT TO:<x@example.org>")).code,
      554,
      "no relay before AUTH",
    );
    await client.command("RSET");
    assert.match(
      (await client.command(`AUTH PLAIN ${b64("\0alice\0wrong")}`)).raw,
      /^535 5\.7\.8 /,
    );
    assert.equal((await client.command("AUTH LOGIN")).code, 334);
    assert.equal((await client.command(b64("alice"))).code, 334);
    assert.match((await client.command(b64("s3cret pass"))).raw, /^235 2\.7\.0 /);
    await client.command("MAIL FROM:<a@sub.test>");
    assert.equal((await client.command("RCPT TO:<x@example.org>")).code, 250, "relay after AUTH");
  },
});

Deno.test({
  name: "a listener with auth required refuses MAIL before AUTH with 530",
  ignore: NO_OPENSSL,
  async fn() {
    const { server, certs } = await tlsServer("required");
    await using _server = server;
    await using client = await TestSmtpClient.connect(server.port);
    await client.reply();
    await client.command("EHLO sub.test");
    await client.command("STARTTLS");
    await client.startTls(certs.caPem);
    await client.command("EHLO sub.test");
    assert.match((await client.command("MAIL FROM:<a@sub.test>")).raw, /^530 5\.7\.0 /);
    assert.equal((await client.command(`AUTH PLAIN ${b64("\0alice\0s3cret pass")}`)).code, 235);
    assert.equal((await client.command("MAIL FROM:<a@sub.test>")).code, 250);
  },
});
