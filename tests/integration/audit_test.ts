import assert from "node:assert/strict";
import { hashPassword } from "../../lib/config/mod.ts";
import { hashToken } from "../../lib/control/mod.ts";
import { testCertificates } from "../support/certs.ts";
import { queuedId } from "../support/empath.ts";
import { freePort } from "../support/net.ts";
import { sendMessage } from "../support/smtp_client.ts";
import { eventually } from "../support/wait.ts";
import {
  ADMIN_TOKEN,
  assertNoneIn,
  authenticatedClient,
  BAD_TOKEN,
  BODY_MARKER,
  control,
  finder,
  NO_OPENSSL,
  PASSWORD,
  plainRoute,
  readAudit,
  startAudited,
  startRejectingPeer,
  waitForLine,
  WRONG_PASSWORD,
} from "./_audit_fixture.ts";

const READ_TOKEN = "audit-read-token-0123456789";
/** Local parts that must never appear in the audit file. */
const LOCAL_PARTS = ["alice.sender", "bob.local", "carol.reject", "dave.sender", "erin.later"];

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
    assert.equal(bounce.action, "failed");
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
