import assert from "node:assert/strict";
import type { ClientResult } from "../smtp/mod.ts";
import {
  openSmtpConnection,
  type SmtpClientConnection,
  type SmtpClientOptions,
  type SmtpDeliveryRequest,
} from "./smtp_client.ts";
import { startAiosmtpd, startScriptedPeer, startSmtpSink } from "../../tests/support/sink.ts";
import { freePort } from "../../tests/support/net.ts";
import { skipWithout } from "../../tests/support/peers.ts";
import { testCertificates } from "../../tests/support/certs.ts";

const encoder = new TextEncoder();
const NO_SMTP_SINK = skipWithout("smtp-sink", "postfix");
const NO_PYTHON = skipWithout("python3", "python3-aiosmtpd");

function options(port: number, extra: Partial<SmtpClientOptions> = {}): SmtpClientOptions {
  return {
    host: "127.0.0.1",
    port,
    heloName: "client.example.test",
    tls: "opportunistic",
    verifyCertificates: false,
    timeouts: {
      greeting: 5_000,
      command: 5_000,
      dataInit: 5_000,
      dataBlock: 5_000,
      dataEnd: 5_000,
    },
    ...extra,
  };
}

function request(body: string | Uint8Array, extra: Partial<SmtpDeliveryRequest> = {}) {
  const bytes = typeof body === "string" ? encoder.encode(body) : body;
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.length; offset += 7_001) {
    chunks.push(bytes.subarray(offset, offset + 7_001));
  }
  return {
    reversePath: "sender@example.test",
    recipients: ["rcpt@example.org"],
    size: bytes.length,
    needsSmtputf8: false,
    eightBit: false,
    body: ReadableStream.from(chunks),
    ...extra,
  };
}

async function connect(opts: SmtpClientOptions): Promise<SmtpClientConnection> {
  const opened = await openSmtpConnection(opts);
  assert.equal(opened.kind, "connected", JSON.stringify(opened));
  return (opened as { connection: SmtpClientConnection }).connection;
}

function replyCodes(result: ClientResult): number[] {
  assert.equal(result.kind, "transaction", JSON.stringify(result));
  return result.kind === "transaction" ? result.recipients.map(({ reply }) => reply.code) : [];
}

Deno.test({
  name: "SmtpClientConnection delivers a dot-stuffed body to smtp-sink byte for byte",
  ignore: NO_SMTP_SINK,
  async fn() {
    await using sink = await startSmtpSink();
    await using connection = await connect(options(sink.port));
    const body = "Subject: dots\n\n.leading dot\r\n..two\nlast line without newline";
    assert.deepEqual(replyCodes(await connection.deliver(request(body))), [250]);
    const big = `Subject: big\r\n\r\n${"x".repeat(998)}\r\n`.repeat(2_000);
    assert.deepEqual(replyCodes(await connection.deliver(request(big))), [250]);
    const messages = await sink.messages();
    assert.equal(messages.length, 2);
    const bodies = messages.map((message) => message.body);
    const expected = body.replaceAll("\r\n", "\n") + "\n\n";
    assert.ok(bodies.includes(expected), JSON.stringify(bodies[0].slice(0, 200)));
    assert.ok(bodies.includes(big.replaceAll("\r\n", "\n") + "\n"));
  },
});

Deno.test({
  name: "SmtpClientConnection uses STARTTLS opportunistically and verifies with the CA",
  ignore: NO_PYTHON,
  async fn() {
    const certs = await testCertificates();
    await using peer = await startAiosmtpd({ tls: { cert: certs.cert, key: certs.key } });
    for (const extra of [{}, { verifyCertificates: true, caCerts: [certs.caPem] }]) {
      await using connection = await connect(options(peer.port, extra));
      assert.match(connection.tls?.version ?? "", /^TLSv1\.[23]$/);
      const result = await connection.deliver(request("Subject: tls\r\n\r\nhi\r\n"));
      assert.deepEqual(replyCodes(result), [250]);
      assert.equal(result.kind === "transaction" && result.tls?.version, connection.tls?.version);
    }
    const messages = await peer.messages();
    assert.equal(messages.length, 2);
    assert.ok(messages.every((message) => message.tls));
    assert.equal(new TextDecoder().decode(messages[0].data), "Subject: tls\r\n\r\nhi\r\n");
  },
});

Deno.test({
  name: "SmtpClientConnection reports whether the certificate verified when any is accepted",
  ignore: NO_PYTHON,
  async fn() {
    const certs = await testCertificates();
    await using peer = await startAiosmtpd({ tls: { cert: certs.cert, key: certs.key } });
    const cases: [Partial<SmtpClientOptions>, boolean, RegExp | undefined][] = [
      [{ servername: "localhost", caCerts: [certs.caPem] }, true, undefined],
      [{ servername: "mx.other.test", caCerts: [certs.caPem] }, false, /ALTNAME/],
      [{ servername: "localhost" }, false, /VERIFY|SIGNATURE|ISSUER/],
    ];
    for (const [extra, verified, error] of cases) {
      await using connection = await connect(options(peer.port, extra));
      assert.equal(connection.tls?.verified, verified, JSON.stringify(extra));
      if (error) assert.match(connection.tls?.verifyError ?? "", error);
      else assert.equal(connection.tls?.verifyError, undefined);
    }
  },
});

Deno.test({
  name: "openSmtpConnection() fails with tls-unavailable when the certificate does not verify",
  ignore: NO_PYTHON,
  async fn() {
    const certs = await testCertificates();
    await using peer = await startAiosmtpd({ tls: { cert: certs.cert, key: certs.key } });
    const opened = await openSmtpConnection(options(peer.port, { verifyCertificates: true }));
    assert.equal(opened.kind, "tls-unavailable");
    assert.match(opened.kind === "tls-unavailable" ? opened.reason : "", /TLS handshake failed/);
  },
});

Deno.test({
  name: "openSmtpConnection() with required TLS and no STARTTLS gives tls-unavailable",
  ignore: NO_PYTHON,
  async fn() {
    await using peer = await startAiosmtpd();
    const opened = await openSmtpConnection(options(peer.port, { tls: "required" }));
    assert.deepEqual(opened, {
      kind: "tls-unavailable",
      reason: "The server does not offer STARTTLS",
      localAddress: "127.0.0.1",
    });
  },
});

Deno.test({
  name: "SmtpClientConnection keeps per-recipient replies and carries a second transaction",
  ignore: NO_PYTHON,
  async fn() {
    await using peer = await startAiosmtpd({
      replies: { "bad@example.org": "550 5.1.1 No such user" },
      tempfail: { "later@example.org": 1 },
    });
    await using connection = await connect(options(peer.port));
    const recipients = ["bad@example.org", "good@example.org", "later@example.org"];
    const first = await connection.deliver(request("Subject: a\r\n\r\nx\r\n", { recipients }));
    assert.deepEqual(replyCodes(first), [550, 250, 451]);
    assert.equal(first.kind === "transaction" && first.recipients[0].reply.enhanced, "5.1.1");
    assert.equal(await connection.reset(), true);
    const second = await connection.deliver(
      request("Subject: b\r\n\r\ny\r\n", { recipients: ["later@example.org"] }),
    );
    assert.deepEqual(replyCodes(second), [250]);
    const messages = await peer.messages();
    assert.equal(messages.length, 2);
  },
});

Deno.test({
  name: "SmtpClientConnection refuses a UTF-8 message for a peer without SMTPUTF8",
  ignore: NO_PYTHON,
  async fn() {
    await using peer = await startAiosmtpd();
    await using connection = await connect(options(peer.port));
    const result = await connection.deliver(
      request("Subject: Grüße\r\n\r\nö\r\n", {
        recipients: ["jörg@example.org"],
        needsSmtputf8: true,
        eightBit: true,
      }),
    );
    assert.deepEqual(replyCodes(result), [550]);
    assert.equal(result.kind === "transaction" && result.recipients[0].reply.enhanced, "5.6.7");
    assert.equal((await peer.messages()).length, 0);
  },
});

Deno.test("openSmtpConnection() treats a 4xx greeting as try-next-host", async () => {
  await using peer = startScriptedPeer("421 4.3.2 Too busy\r\n");
  const opened = await openSmtpConnection(options(peer.port));
  assert.equal(opened.kind, "try-next-host");
  assert.equal(opened.kind === "try-next-host" && opened.reply?.code, 421);
});

Deno.test("openSmtpConnection() reports a refused connection as connection-failed", async () => {
  const opened = await openSmtpConnection(options(freePort()));
  assert.equal(opened.kind, "connection-failed");
});

Deno.test("openSmtpConnection() gives up on a stalled peer after the greeting timeout", async () => {
  await using peer = startScriptedPeer();
  const started = Date.now();
  const opened = await openSmtpConnection(options(peer.port, { timeouts: { greeting: 200 } }));
  assert.equal(opened.kind, "connection-failed");
  assert.match(opened.kind === "connection-failed" ? opened.reason : "", /Timed out after 200 ms/);
  assert.ok(Date.now() - started < 3_000);
});

Deno.test("openSmtpConnection() stops when the signal aborts", async () => {
  await using peer = startScriptedPeer();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 100);
  const opened = await openSmtpConnection(options(peer.port, { signal: controller.signal }));
  clearTimeout(timer);
  assert.equal(opened.kind, "connection-failed");
});
