import assert from "node:assert/strict";
import { type Config, hashPassword, parseConfig } from "../../lib/config/mod.ts";
import { hashToken } from "../../lib/control/mod.ts";
import { type TestCertificates, testCertificates } from "../support/certs.ts";
import { queuedId, startTestEmpath, type TestEmpath } from "../support/empath.ts";
import { closeAll, freePort } from "../support/net.ts";
import { skipWithout } from "../support/peers.ts";
import { sendMessage, TestSmtpClient } from "../support/smtp_client.ts";
import { eventually } from "../support/wait.ts";

const NO_OPENSSL = skipWithout("openssl", "openssl");

const ADMIN_TOKEN = "audit-admin-token-0123456789";
const READ_TOKEN = "audit-read-token-0123456789";
const BAD_TOKEN = "not-a-valid-token-9876543210";
const PASSWORD = "s3cret pass";
const WRONG_PASSWORD = "wrong-password-4711";
const BODY_MARKER = "BODY-MARKER-never-audited";
/** Local parts that must never appear in the audit file. */
const LOCAL_PARTS = ["alice.sender", "bob.local", "carol.reject", "dave.sender", "erin.later"];

type AuditLine = Record<string, unknown>;

/** A receiving server that refuses every recipient, quoting the address in its reply. */
function startRejectingPeer(): { port: number } & AsyncDisposable {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const encoder = new TextEncoder();
  const serve = async (conn: Deno.Conn) => {
    const send = (text: string) => conn.write(encoder.encode(text));
    await send("220 reject.test ESMTP\r\n");
    const lines = conn.readable.pipeThrough(new TextDecoderStream());
    let buffer = "";
    for await (const chunk of lines) {
      buffer += chunk;
      let end;
      while ((end = buffer.indexOf("\r\n")) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === "QUIT") return void await send("221 2.0.0 Bye\r\n");
        const rcpt = /^RCPT TO:<([^>]*)>/i.exec(line);
        await send(
          rcpt
            ? `550 5.1.1 <${rcpt[1]}>: Recipient address rejected\r\n`
            : verb === "DATA"
            ? "554 5.5.1 No valid recipients\r\n"
            : "250 2.0.0 Ok\r\n",
        );
      }
    }
  };
  const accepting = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      serve(conn).catch(() => {}).finally(() => {
        conns.delete(conn);
        closeAll([conn]);
      });
    }
  })().catch(() => {});
  return {
    port: listener.addr.port,
    async [Symbol.asyncDispose]() {
      listener.close();
      closeAll(conns);
      await accepting;
    },
  };
}

async function readAudit(path: string): Promise<AuditLine[]> {
  const text = await Deno.readTextFile(path).catch(() => "");
  return text.split("\n").filter((line) => line !== "").map((line) => JSON.parse(line));
}

function waitForLine(path: string, match: (line: AuditLine) => boolean): Promise<AuditLine> {
  return eventually(async () => (await readAudit(path)).find(match));
}

async function control(port: number, path: string, init: RequestInit & { token: string }) {
  const { token, ...rest } = init;
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    ...rest,
    headers: { Authorization: `Bearer ${token}` },
  });
  await response.body?.cancel();
  return response.status;
}

/** Fails the test if the audit trail `text` holds any of `secrets`. */
function assertNoneIn(text: string, secrets: readonly string[]): void {
  for (const secret of secrets) {
    assert.ok(!text.includes(secret), `"${secret}" must not be in the audit trail`);
  }
}

/** The first audit line with every field of `match`; fails the test when there is none. */
function finder(lines: readonly AuditLine[]): (match: AuditLine) => AuditLine {
  return (match) => {
    const found = lines.find((line) => Object.entries(match).every(([k, v]) => line[k] === v));
    assert.ok(found, `no audit line matching ${JSON.stringify(match)}`);
    return found;
  };
}

/** An SMTP route to a loopback port, without TLS. */
function plainRoute(domain: string, port: number): Config["routes"][number] {
  return {
    domains: [domain],
    kind: "smtp",
    to: `127.0.0.1:${port}`,
    tls: "disabled",
    verifyCertificates: false,
  };
}

/**
 * Empath with the audit trail `audit`: STARTTLS with `certs`, the user alice (AUTH optional,
 * password {@linkcode PASSWORD}), delivery on, control `tokens`, and `routes` added.
 */
async function startAudited(options: {
  certs: TestCertificates;
  passwordHash: string;
  tokens: Config["control"]["tokens"];
  audit: Config["observe"]["audit"];
  routes: Config["routes"];
}): Promise<TestEmpath> {
  return await startTestEmpath((config) => {
    config.tls = { cert: options.certs.cert, key: options.certs.key };
    config.auth.users = [{ username: "alice", passwordHash: options.passwordHash }];
    config.listen[0] = { ...config.listen[0], auth: "optional" };
    config.delivery.enabled = true;
    config.control.tokens = options.tokens;
    config.observe.audit = options.audit;
    config.routes.push(...options.routes);
  });
}

const b64 = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));

/** A client over STARTTLS that fails AUTH with {@linkcode WRONG_PASSWORD}, then logs in as alice. */
async function authenticatedClient(port: number, caPem: string): Promise<TestSmtpClient> {
  const client = await TestSmtpClient.connect(port);
  try {
    await client.reply();
    await client.command("EHLO tls.client.test");
    assert.equal((await client.command("STARTTLS")).code, 220);
    await client.startTls(caPem);
    await client.command("EHLO tls.client.test");
    assert.equal(
      (await client.command(`AUTH PLAIN ${b64(`\0alice\0${WRONG_PASSWORD}`)}`)).code,
      535,
    );
    assert.equal((await client.command(`AUTH PLAIN ${b64(`\0alice\0${PASSWORD}`)}`)).code, 235);
    return client;
  } catch (error) {
    client.close();
    throw error;
  }
}

Deno.test({
  name: "the audit trail records a message's life, operator actions and refused credentials",
  ignore: NO_OPENSSL,
  async fn() {
    const certs = await testCertificates();
    const auditDir = await Deno.makeTempDir({ prefix: "empath-audit-test-" });
    const auditPath = `${auditDir}/audit.jsonl`;
    await using peer = startRejectingPeer();
    const passwordHash = await hashPassword(PASSWORD);
    const tokens = [
      { name: "ops-admin", hash: await hashToken(ADMIN_TOKEN), scope: "admin" as const },
      { name: "viewer", hash: await hashToken(READ_TOKEN), scope: "read" as const },
    ];
    await using server = await startAudited({
      certs,
      passwordHash,
      tokens,
      audit: { enabled: true, sink: "file", path: auditPath, redact: ["sender", "recipients"] },
      routes: [plainRoute("reject.test", peer.port), plainRoute("later.test", freePort())],
    });
    const controlPort = server.empath.control.port;

    // SMTP: a failed AUTH, then two messages over TLS.
    await using client = await authenticatedClient(server.port, certs.caPem);
    const first = queuedId(
      await sendMessage(client, {
        from: "alice.sender@localhost",
        to: ["bob.local@localhost", "carol.reject@reject.test"],
        body: `Subject: audit\r\n\r\n${BODY_MARKER}`,
      }),
    );
    const second = queuedId(
      await sendMessage(client, {
        from: "dave.sender@localhost",
        to: ["erin.later@later.test"],
        body: `Subject: later\r\n\r\n${BODY_MARKER}`,
      }),
    );
    await client.command("QUIT");

    await waitForLine(auditPath, (l) => l.event === "BounceGenerated" && l.id === first);
    await waitForLine(auditPath, (l) => l.event === "DeliveryFailure" && l.id === second);

    // Control API: hold, release and delete the deferred message (a hold may meet the lease).
    const admin = { token: ADMIN_TOKEN, method: "POST" };
    await eventually(async () =>
      await control(controlPort, `/v1/queue/${second}/hold`, admin) === 200
    );
    assert.equal(await control(controlPort, `/v1/queue/${second}/release`, admin), 200);
    assert.equal(
      await control(controlPort, `/v1/queue/${second}`, { token: ADMIN_TOKEN, method: "DELETE" }),
      200,
    );
    assert.equal(await control(controlPort, "/v1/queue", { token: BAD_TOKEN }), 401);
    assert.equal(
      await control(controlPort, `/v1/queue/${first}/hold`, { token: READ_TOKEN, method: "POST" }),
      403,
    );
    const reload = structuredClone(server.config);
    reload.policy.maxRecipients = 42;
    await server.empath.reload(reload);
    await server.empath.stop(1000);

    const text = await Deno.readTextFile(auditPath);
    const lines = await readAudit(auditPath);
    assert.ok(text.endsWith("\n"));
    assert.equal(text.split("\n").length - 1, lines.length, "one JSON object per line");
    if (Deno.build.os !== "windows") {
      assert.equal((await Deno.stat(auditPath)).mode! & 0o777, 0o600);
    }
    assertNoneIn(text, [
      ...LOCAL_PARTS,
      BODY_MARKER,
      PASSWORD,
      WRONG_PASSWORD,
      ADMIN_TOKEN,
      READ_TOKEN,
      BAD_TOKEN,
    ]);
    const find = finder(lines);

    const received = find({ event: "MessageReceived", id: first });
    assert.equal(received.sender, "[REDACTED]@localhost");
    assert.deepEqual(received.recipients, ["[REDACTED]@localhost", "[REDACTED]@reject.test"]);
    assert.equal(received.client_ip, "127.0.0.1");
    assert.equal(received.helo, "tls.client.test");
    assert.equal(received.tls, true);
    assert.equal(received.auth_user, "alice");
    assert.ok(typeof received.size === "number" && received.size > 0);
    find({ event: "DeliveryAttempt", id: first, domain: "localhost", attempt: 1 });
    find({ event: "DeliveryAttempt", id: first, domain: "reject.test", attempt: 1 });
    const success = find({
      event: "DeliverySuccess",
      id: first,
      recipient: "[REDACTED]@localhost",
    });
    assert.equal(success.server, "maildir");
    assert.equal(success.attempt, 1);
    assert.equal(typeof success.duration_ms, "number");
    const rejected = find({ event: "DeliveryFailure", id: first, permanent: true });
    assert.equal(rejected.recipient, "[REDACTED]@reject.test");
    assert.equal(rejected.server, `127.0.0.1 [127.0.0.1]:${peer.port}`);
    assert.match(
      String(rejected.reply),
      /^550 .*<\[REDACTED\]@reject\.test>: Recipient address rejected/,
    );
    const bounce = find({ event: "BounceGenerated", id: first });
    assert.equal(bounce.sender, "[REDACTED]@localhost");
    assert.deepEqual(bounce.recipients, ["[REDACTED]@reject.test"]);
    find({ event: "MessageReceived", id: second, sender: "[REDACTED]@localhost" });
    const deferred = find({ event: "DeliveryFailure", id: second, permanent: false });
    assert.equal(deferred.recipient, "[REDACTED]@later.test");
    find({ event: "MessageHeld", id: second });
    find({ event: "MessageReleased", id: second });
    find({ event: "MessageDeleted", id: second });
    for (
      const [method, path] of [["POST", `/v1/queue/${second}/hold`], [
        "POST",
        `/v1/queue/${second}/release`,
      ], ["DELETE", `/v1/queue/${second}`]]
    ) {
      find({
        event: "ControlCommand",
        who: "ops-admin",
        method,
        path,
        status: 200,
        client_ip: "127.0.0.1",
      });
    }
    find({
      event: "ControlCommand",
      who: "viewer",
      method: "POST",
      path: `/v1/queue/${first}/hold`,
      status: 403,
    });
    find({
      event: "AuthFailure",
      source: "control",
      method: "GET",
      path: "/v1/queue",
      client_ip: "127.0.0.1",
    });
    find({
      event: "AuthFailure",
      source: "smtp",
      auth_user: "alice",
      mechanism: "PLAIN",
      client_ip: "127.0.0.1",
    });
    const reloaded = find({ event: "ConfigReloaded" });
    assert.deepEqual(reloaded.changed, ["policy.maxRecipients"]);
    assert.ok(!lines.some((line) => line.event === "ControlCommand" && line.method === "GET"));
    await Deno.remove(auditDir, { recursive: true });
  },
});

Deno.test({
  name:
    "the audit trail with redact = [] records full addresses, and still no body, password or token",
  ignore: NO_OPENSSL,
  async fn() {
    const certs = await testCertificates();
    const auditDir = await Deno.makeTempDir({ prefix: "empath-audit-test-" });
    const auditPath = `${auditDir}/audit.jsonl`;
    // The operator's file: redaction turned off with an empty list.
    const { audit } = parseConfig(
      `[observe.audit]\nsink = "file"\npath = "${auditPath}"\nredact = []\n`,
    ).observe;
    assert.deepEqual(audit.redact, []);
    await using peer = startRejectingPeer();
    const passwordHash = await hashPassword(PASSWORD);
    const tokens = [
      { name: "ops-admin", hash: await hashToken(ADMIN_TOKEN), scope: "admin" as const },
    ];
    await using server = await startAudited({
      certs,
      passwordHash,
      tokens,
      audit,
      routes: [plainRoute("reject.test", peer.port)],
    });
    const controlPort = server.empath.control.port;

    await using client = await authenticatedClient(server.port, certs.caPem);
    const id = queuedId(
      await sendMessage(client, {
        from: "alice.sender@localhost",
        to: ["bob.local@localhost", "carol.reject@reject.test"],
        body: `Subject: unredacted\r\n\r\n${BODY_MARKER}`,
      }),
    );
    await client.command("QUIT");
    await waitForLine(auditPath, (l) => l.event === "BounceGenerated" && l.id === id);
    await waitForLine(auditPath, (l) => l.event === "DeliverySuccess" && l.id === id);
    assert.equal(await control(controlPort, "/v1/queue", { token: BAD_TOKEN }), 401);
    assert.equal(
      await control(controlPort, "/v1/delivery/process", { token: ADMIN_TOKEN, method: "POST" }),
      202,
    );
    await server.empath.stop(1000);

    const text = await Deno.readTextFile(auditPath);
    const lines = await readAudit(auditPath);
    assertNoneIn(text, [
      BODY_MARKER,
      "Subject: unredacted",
      PASSWORD,
      WRONG_PASSWORD,
      ADMIN_TOKEN,
      BAD_TOKEN,
      passwordHash,
    ]);
    assert.ok(!text.includes("[REDACTED]"), "nothing is redacted");
    const find = finder(lines);
    const received = find({ event: "MessageReceived", id });
    assert.equal(received.sender, "alice.sender@localhost");
    assert.deepEqual(received.recipients, ["bob.local@localhost", "carol.reject@reject.test"]);
    assert.equal(received.client_ip, "127.0.0.1");
    assert.equal(received.helo, "tls.client.test");
    assert.equal(received.auth_user, "alice");
    find({ event: "DeliverySuccess", id, recipient: "bob.local@localhost", server: "maildir" });
    const rejected = find({
      event: "DeliveryFailure",
      id,
      recipient: "carol.reject@reject.test",
      permanent: true,
    });
    assert.match(String(rejected.reply), /^550 .*<carol\.reject@reject\.test>/);
    const bounce = find({ event: "BounceGenerated", id });
    assert.equal(bounce.sender, "alice.sender@localhost");
    assert.deepEqual(bounce.recipients, ["carol.reject@reject.test"]);
    find({ event: "AuthFailure", source: "smtp", auth_user: "alice", mechanism: "PLAIN" });
    find({ event: "AuthFailure", source: "control", path: "/v1/queue" });
    find({ event: "ControlCommand", who: "ops-admin", path: "/v1/delivery/process", status: 202 });
    await Deno.remove(auditDir, { recursive: true });
  },
});
