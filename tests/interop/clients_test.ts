import assert from "node:assert/strict";
import { hashPassword } from "../../lib/config/mod.ts";
import { testCertificates } from "../support/certs.ts";
import { bodyText, startTestEmpath } from "../support/empath.ts";
import { debianPython, run, skipWithout } from "../support/peers.ts";

async function tlsServer() {
  const certs = await testCertificates();
  const passwordHash = await hashPassword("interop-pw");
  const server = await startTestEmpath((config) => {
    config.tls = { cert: certs.cert, key: certs.key };
    config.auth.users = [{ username: "alice", passwordHash }];
    config.listen[0] = { ...config.listen[0], auth: "optional" };
  });
  return { server, certs };
}

async function onlyMessage(server: Awaited<ReturnType<typeof startTestEmpath>>) {
  const { messages } = await server.empath.queue.list();
  assert.equal(messages.length, 1);
  return { message: messages[0], body: await bodyText(server.empath, messages[0].id) };
}

function swaks(port: number, extra: string[]) {
  return run("swaks", [
    "--server",
    "127.0.0.1",
    "--port",
    String(port),
    "--helo",
    "swaks.test",
    "--from",
    "sender@swaks.test",
    "--to",
    "rcpt@localhost",
    "--header",
    "Subject: from swaks",
    "--body",
    "Hello from swaks\n.dot line\nend",
    ...extra,
  ]);
}

Deno.test({
  name: "swaks delivers a plain message that is queued byte-exact",
  ignore: skipWithout("swaks", "swaks"),
  async fn() {
    await using server = await startTestEmpath();
    const result = await swaks(server.port, []);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const { message, body } = await onlyMessage(server);
    assert.equal(message.reversePath, "sender@swaks.test");
    assert.match(body, /Subject: from swaks\r\n/);
    // swaks appends an empty line to --body; everything it sent is stored verbatim.
    assert.ok(body.includes("\r\n\r\nHello from swaks\r\n.dot line\r\nend\r\n"), body);
  },
});

Deno.test({
  name: "swaks with PIPELINING, STARTTLS and AUTH PLAIN/LOGIN",
  ignore: skipWithout("swaks", "swaks"),
  async fn() {
    const { server, certs } = await tlsServer();
    await using _server = server;
    for (const auth of ["PLAIN", "LOGIN"]) {
      const result = await swaks(server.port, [
        "--pipeline",
        "--tls",
        "--tls-verify",
        "--tls-ca-path",
        certs.caCert,
        "--auth",
        auth,
        "--auth-user",
        "alice",
        "--auth-password",
        "interop-pw",
      ]);
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /<~ {1,2}235 2\.7\.0/);
      assert.match(result.stdout, /<~ {1,2}250 2\.0\.0 Ok: queued as/);
    }
    const failed = await swaks(server.port, [
      "--tls",
      "--auth",
      "PLAIN",
      "--auth-user",
      "alice",
      "--auth-password",
      "wrong",
    ]);
    assert.notEqual(failed.code, 0);
    assert.match(failed.stdout, /535 5\.7\.8/);
    const { messages } = await server.empath.queue.list();
    assert.equal(messages.length, 2);
    assert.ok(messages.every((m) => m.receivedFrom.authUser === "alice"));
  },
});

const SMTPLIB_SCRIPT = `
import smtplib, ssl, sys
from email.message import EmailMessage
port, ca = int(sys.argv[1]), sys.argv[2]
msg = EmailMessage()
msg["From"] = "py@python.test"
msg["To"] = "rcpt@localhost"
msg["Subject"] = "smtplib \u00fcber"
msg.set_content("Gr\u00fc\u00dfe aus Python\\n.leading dot\\n")
with smtplib.SMTP("127.0.0.1", port) as s:
    s.ehlo("python.test")
    s.starttls(context=ssl.create_default_context(cafile=ca))
    s.ehlo("python.test")
    s.login("alice", "interop-pw")
    refused = s.send_message(msg, to_addrs=["rcpt@localhost", "other@example.org"])
    print("refused", refused)
    code, text = s.noop()
    print("noop", code)
`;

Deno.test({
  name: "python smtplib sends an 8-bit message over STARTTLS with AUTH",
  ignore: skipWithout("python3", "python3"),
  async fn() {
    const { server, certs } = await tlsServer();
    await using _server = server;
    const result = await run(debianPython(), [
      "-c",
      SMTPLIB_SCRIPT,
      String(server.port),
      certs.caCert,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /refused \{\}/);
    const { message, body } = await onlyMessage(server);
    assert.deepEqual(message.recipients.map((r) => r.address), [
      "rcpt@localhost",
      "other@example.org",
    ]);
    assert.match(body, /Gr=C3=BC=C3=9Fe aus Python|Grüße aus Python/);
  },
});

Deno.test({
  name: "openssl s_client -starttls smtp negotiates TLS 1.2+ with a verified certificate",
  ignore: skipWithout("openssl", "openssl"),
  async fn() {
    const { server, certs } = await tlsServer();
    await using _server = server;
    const result = await run("openssl", [
      "s_client",
      "-starttls",
      "smtp",
      "-connect",
      `127.0.0.1:${server.port}`,
      "-CAfile",
      certs.caCert,
      "-verify_return_error",
      "-ign_eof",
      "-crlf",
    ], { stdin: "EHLO openssl.test\nNOOP\nQUIT\n", timeoutMs: 20_000 });
    assert.match(result.stdout, /Verify return code: 0 \(ok\)/);
    assert.match(result.stdout, /Protocol *: TLSv1\.[23]|New, TLSv1\.[23]/);
    assert.match(result.stdout, /250 2\.0\.0 Ok/);
    assert.match(result.stdout, /221 2\.0\.0/);
    const old = await run("openssl", [
      "s_client",
      "-starttls",
      "smtp",
      "-connect",
      `127.0.0.1:${server.port}`,
      "-tls1_1",
    ], { stdin: "QUIT\n", timeoutMs: 20_000 });
    // TLS 1.1 is refused: the handshake fails and no cipher is negotiated.
    assert.match(old.stdout, /New, \(NONE\), Cipher is \(NONE\)/);
    assert.match(old.stderr, /handshake failure|protocol version|unexpected eof/);
  },
});
