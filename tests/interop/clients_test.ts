import assert from "node:assert/strict";
import { hashPassword } from "../../lib/config/mod.ts";
import { testCertificates } from "../support/certs.ts";
import { bodyText, startTestEmpath, type TestEmpath } from "../support/empath.ts";
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

const SMTPLIB_DSN_SCRIPT = `
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1])) as s:
    s.set_debuglevel(1)
    s.ehlo("python.test")
    print("dsn offered", s.has_extn("dsn"))
    refused = s.sendmail(
        "py@python.test",
        ["bob@localhost"],
        "Subject: dsn from smtplib\\r\\n\\r\\nhello\\r\\n",
        mail_options=["RET=HDRS", "ENVID=abc+2Bdef"],
        rcpt_options=["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;bob@example.org"],
    )
    print("refused", refused)
`;

/** `GET path` on the control API of `server` with its generated admin token; must answer 200. */
async function controlGet(server: TestEmpath, path: string) {
  const { hostname, port } = server.empath.control;
  const token = (await Deno.readTextFile(server.config.control.tokenFile)).trim();
  const response = await fetch(`http://${hostname}:${port}${path}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(response.status, 200);
  return await response.json();
}

Deno.test({
  name: "python smtplib sendmail() with DSN options gets 250s and the queue stores them decoded",
  ignore: skipWithout("python3", "python3"),
  async fn() {
    await using server = await startTestEmpath();
    const result = await run(debianPython(), ["-c", SMTPLIB_DSN_SCRIPT, String(server.port)]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^dsn offered True$/m);
    assert.match(result.stdout, /^refused \{\}$/m);
    // smtplib's debug log (stderr): the options went out as given; EHLO, MAIL and RCPT got
    // 250, DATA 354, the end of data 250 and QUIT 221.
    assert.match(
      result.stderr,
      /send: 'mail FROM:<py@python\.test> size=\d+ RET=HDRS ENVID=abc\+2Bdef\\r\\n'/,
    );
    assert.match(
      result.stderr,
      /send: 'rcpt TO:<bob@localhost> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example\.org\\r\\n'/,
    );
    const retcodes = [...result.stderr.matchAll(/^reply: retcode \((\d+)\)/gm)].map((m) => m[1]);
    assert.deepEqual(retcodes, ["250", "250", "250", "354", "250", "221"]);

    const { messages: [{ id }] } = await controlGet(server, "/v1/queue");
    const record = await controlGet(server, `/v1/queue/${id}`);
    assert.deepEqual(record.dsn, { ret: "HDRS", envid: "abc+def" });
    const [recipient] = record.recipients;
    assert.equal(record.recipients.length, 1);
    assert.equal(recipient.address, "bob@localhost");
    assert.deepEqual(recipient.notify, ["SUCCESS", "FAILURE"]);
    assert.equal(recipient.orcpt, "rfc822;bob@example.org");
  },
});
