import assert from "node:assert/strict";
import { hashPassword, parseConfig } from "../../lib/config/mod.ts";
import { hashToken } from "../../lib/control/mod.ts";
import { testCertificates } from "../support/certs.ts";
import { queuedId } from "../support/empath.ts";
import { sendMessage } from "../support/smtp_client.ts";
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
