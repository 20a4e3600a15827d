import assert from "node:assert/strict";
import fc from "fast-check";
import { getLogger as getLogtapeLogger } from "@logtape/logtape";
import {
  AUDIT_FIELDS,
  type AuditEvent,
  type AuditField,
  AuditLog,
  auditSink,
  startAudit,
} from "./audit.ts";
import { type MailEvent, MailEvents } from "./events.ts";
import {
  AUDIT_CATEGORY,
  getLogger,
  resetLogging,
  setAuditSink,
  setLogLevel,
  setupLogging,
} from "./logging.ts";

/** Runs `fn` with the audit sink writing parsed lines into an array. */
async function withAudit(
  redact: readonly AuditField[],
  fn: (lines: Record<string, unknown>[], log: AuditLog) => void | Promise<void>,
): Promise<void> {
  const lines: Record<string, unknown>[] = [];
  await setAuditSink(auditSink({
    redact,
    write: (line) => {
      assert.ok(line.endsWith("\n") && !line.slice(0, -1).includes("\n"), "one line per event");
      lines.push(JSON.parse(line));
    },
  }));
  try {
    await fn(lines, new AuditLog());
  } finally {
    await setAuditSink(undefined);
  }
}

const RECEIVED: MailEvent = {
  type: "received",
  id: "01HZX0000000000000000000AA",
  at: 0,
  sender: "alice@sender.test",
  recipients: ["bob@example.org", "carol@example.net"],
  size: 1234,
  clientIp: "192.0.2.7",
  helo: "client.sender.test",
  tls: true,
  authUser: "alice@sender.test",
  listener: "submission",
};

Deno.test("AuditLog.follow() writes one JSON line per mail event", async () => {
  await withAudit([], (lines, log) => {
    const events = new MailEvents();
    const stop = log.follow(events);
    const id = "01HZX0000000000000000000AB";
    const at = 0;
    events.publish(RECEIVED);
    events.publish({ type: "attempt", id, at, domain: "example.org", attempt: 1 });
    events.publish({
      type: "delivered",
      id,
      at,
      recipient: "bob@example.org",
      domain: "example.org",
      detail: "250 2.0.0 Ok",
      server: "mx.example.org [192.0.2.1]:25",
      durationMs: 42,
      attempt: 1,
    });
    events.publish({ type: "deferred", id, at, recipient: "c@x.test", detail: "451 Later" });
    events.publish({ type: "bounced", id, at, recipient: "d@x.test", detail: "550 No" });
    events.publish({
      type: "dsn",
      id,
      at,
      bounceId: "01HZX0000000000000000000AC",
      sender: "alice@sender.test",
      recipients: ["d@x.test"],
      detail: "failed",
    });
    events.publish({
      type: "dsn",
      id,
      at,
      bounceId: "01HZX0000000000000000000AD",
      sender: "alice@sender.test",
      recipients: ["c@x.test"],
      detail: "delayed",
    });
    events.publish({ type: "held", id, at });
    events.publish({ type: "released", id, at });
    events.publish({ type: "deleted", id, at });
    stop();
    events.publish({ type: "deleted", id, at });
    assert.deepEqual(lines.map((line) => line.event), [
      "MessageReceived",
      "DeliveryAttempt",
      "DeliverySuccess",
      "DeliveryFailure",
      "DeliveryFailure",
      "BounceGenerated",
      "BounceGenerated",
      "MessageHeld",
      "MessageReleased",
      "MessageDeleted",
    ]);
    assert.ok(lines.every((line) => !Number.isNaN(Date.parse(String(line.timestamp)))));
    const { timestamp: _, ...received } = lines[0];
    assert.deepEqual(received, {
      event: "MessageReceived",
      id: RECEIVED.id,
      sender: "alice@sender.test",
      recipients: ["bob@example.org", "carol@example.net"],
      size: 1234,
      client_ip: "192.0.2.7",
      helo: "client.sender.test",
      tls: true,
      auth_user: "alice@sender.test",
      listener: "submission",
    });
    assert.equal(lines[2].server, "mx.example.org [192.0.2.1]:25");
    assert.equal(lines[2].duration_ms, 42);
    assert.equal(lines[2].attempt, 1);
    assert.equal(lines[2].permanent, undefined);
    assert.equal(lines[3].permanent, false);
    assert.equal(lines[3].reply, "451 Later");
    assert.deepEqual([lines[5].action, lines[6].action], ["failed", "delayed"]);
    assert.equal(lines[4].permanent, true);
    assert.equal(lines[5].bounce_id, "01HZX0000000000000000000AC");
  });
});

Deno.test("AuditLog writes the null sender as <> and keeps it under redaction", async () => {
  await withAudit(["sender", "recipients"], (lines, log) => {
    const events = new MailEvents();
    log.follow(events);
    events.publish({ ...RECEIVED, sender: "" });
    assert.equal(lines[0].sender, "<>");
    assert.deepEqual(lines[0].recipients, ["[REDACTED]@example.org", "[REDACTED]@example.net"]);
  });
});

/** The record properties each configurable field covers, and their values in RECEIVED. */
const FIELD_VALUES: Record<AuditField, [string, unknown, unknown][]> = {
  sender: [["sender", "alice@sender.test", "[REDACTED]@sender.test"]],
  recipients: [[
    "recipients",
    ["bob@example.org", "carol@example.net"],
    ["[REDACTED]@example.org", "[REDACTED]@example.net"],
  ]],
  client_ip: [["client_ip", "192.0.2.7", "[REDACTED]"]],
  auth_user: [["auth_user", "alice@sender.test", "[REDACTED]@sender.test"]],
  helo: [["helo", "client.sender.test", "[REDACTED]"]],
};

for (const field of AUDIT_FIELDS) {
  Deno.test(`auditSink() with redact = ["${field}"] redacts that field only`, async () => {
    await withAudit([field], (lines, log) => {
      const events = new MailEvents();
      log.follow(events);
      events.publish(RECEIVED);
      for (const [name, [[property, plain, redacted]]] of Object.entries(FIELD_VALUES)) {
        const expected = name === field ? redacted : plain;
        assert.deepEqual(lines[0][property], expected, `${property} with redact = ["${field}"]`);
      }
    });
  });
}

Deno.test("auditSink() redacts the record's own local parts wherever a reply mentions them", async () => {
  await withAudit(["recipients"], (lines, log) => {
    log.record({
      event: "DeliverySuccess",
      id: "x",
      recipient: "Bob.Smith@localhost",
      reply: "250 2.0.0 Delivered to maildir /srv/maildir/bob.smith (not Bob.Smithers)",
    });
    assert.equal(
      lines[0].reply,
      "250 2.0.0 Delivered to maildir /srv/maildir/[REDACTED] (not Bob.Smithers)",
    );
  });
});

Deno.test("auditSink() redacts the per-recipient field and addresses quoted in replies", async () => {
  await withAudit(["recipients"], (lines, log) => {
    log.record({
      event: "DeliveryFailure",
      id: "x",
      recipient: "bob@example.org",
      reply: "550 5.1.1 <bob@example.org>: Recipient address rejected",
      permanent: true,
    });
    assert.equal(lines[0].recipient, "[REDACTED]@example.org");
    assert.equal(lines[0].reply, "550 5.1.1 <[REDACTED]@example.org>: Recipient address rejected");
  });
  await withAudit([], (lines, log) => {
    log.record({ event: "DeliveryFailure", id: "x", reply: "550 <bob@example.org>" });
    assert.equal(lines[0].reply, "550 <bob@example.org>", "nothing redacted when not configured");
  });
});

/** Local parts marked by `§` at both ends: any leak of one shows a `§`. */
const localPart = fc.oneof(
  fc.string({
    unit: fc.constantFrom(..."abcXYZ09.+-_'!#$%&*/=?^`{|}~äöü漢字é".split("")),
    minLength: 0,
    maxLength: 16,
  }).map((body) => `§${body}§`),
  fc.string({ unit: fc.constantFrom(..."ab (),:;<>@[]é".split("")), maxLength: 10 })
    .map((body) => `"§${body}§"`),
);
const domain = fc.oneof(fc.domain(), fc.constantFrom("bücher.example", "例子.广告", "[192.0.2.1]"));
const address = fc.tuple(localPart, domain).map(([local, host]) => ({
  address: `${local}@${host}`,
  domain: host,
}));

Deno.test("auditSink() never writes a redacted local part (property)", async () => {
  const events = new MailEvents();
  await withAudit(["sender", "recipients", "auth_user"], (lines, log) => {
    log.follow(events);
    fc.assert(
      fc.property(address, fc.array(address, { minLength: 1, maxLength: 4 }), (from, to) => {
        lines.length = 0;
        const id = "01HZX0000000000000000000AD";
        const recipients = to.map((r) => r.address);
        events.publish({ ...RECEIVED, sender: from.address, recipients, authUser: from.address });
        for (const rcpt of to) {
          events.publish({
            type: "bounced",
            id,
            at: 0,
            recipient: rcpt.address,
            detail: `550 5.1.1 <${rcpt.address}>: no such user (sender ${from.address})`,
          });
        }
        for (const rcpt of to) {
          const local = rcpt.address.slice(0, rcpt.address.lastIndexOf("@"));
          events.publish({
            type: "delivered",
            id,
            at: 0,
            recipient: rcpt.address,
            detail: `250 2.0.0 Delivered to maildir /srv/maildir/${local.replaceAll('"', "")}`,
          });
        }
        events.publish({ type: "dsn", id, at: 0, sender: from.address, recipients });
        log.record({ event: "AuthFailure", source: "smtp", auth_user: from.address });
        for (const line of lines) {
          const text = JSON.stringify(line);
          assert.ok(!text.includes("§"), `local part leaked: ${text}`);
        }
        assert.equal(lines[0].sender, `[REDACTED]@${from.domain}`);
        assert.deepEqual(lines[0].recipients, to.map((r) => `[REDACTED]@${r.domain}`));
      }),
    );
  });
});

Deno.test("the audit sink survives setupLogging() and setLogLevel() and stays apart from logs", async () => {
  const logLines: string[] = [];
  await withAudit(["sender"], async (lines, log) => {
    await setupLogging({ level: "info", format: "json", write: (line) => logLines.push(line) });
    try {
      await setLogLevel("empath", null);
      await setLogLevel(["empath", "smtp"], "debug");
      await setupLogging({ level: "error", format: "text", write: (line) => logLines.push(line) });
      log.record({ event: "MessageHeld", id: "a" });
      getLogger("smtp").error("A log line");
      getLogtapeLogger([AUDIT_CATEGORY]).debug("{event}", { event: "MessageHeld", id: "b" });
      assert.deepEqual(lines.map((line) => line.id), ["a", "b"]);
      assert.equal(logLines.length, 1);
      assert.ok(!logLines[0].includes("MessageHeld"));
      await assert.rejects(setLogLevel([AUDIT_CATEGORY], null), TypeError);
      await resetLogging();
      log.record({ event: "MessageReleased", id: "c" });
      assert.deepEqual(lines.map((line) => line.id), ["a", "b", "c"]);
    } finally {
      await resetLogging();
    }
  });
});

Deno.test("startAudit() appends to a new file created with mode 0600 and stops on close", async () => {
  const dir = await Deno.makeTempDir({ prefix: "empath-audit-" });
  try {
    const path = `${dir}/audit.jsonl`;
    const events = new MailEvents();
    const audit = await startAudit({ sink: "file", path, redact: ["recipients"] }, events);
    events.publish({ type: "held", id: "m1", at: 0 });
    audit.record({
      event: "ConfigReloaded",
      changed: ["policy.max_recipients"],
      restart_required: [],
    });
    await audit.close();
    events.publish({ type: "released", id: "m1", at: 0 });
    audit.record({ event: "MessageDeleted", id: "m1" });
    if (Deno.build.os !== "windows") assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    const lines = (await Deno.readTextFile(path)).trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((line) => line.event), ["MessageHeld", "ConfigReloaded"]);
    assert.deepEqual(lines[1].changed, ["policy.max_recipients"]);
    assert.equal(events.subscribers, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startAudit() keeps what an existing file holds and its mode", async () => {
  const dir = await Deno.makeTempDir({ prefix: "empath-audit-" });
  try {
    const path = `${dir}/audit.jsonl`;
    await Deno.writeTextFile(path, '{"event":"Earlier"}\n', { mode: 0o640 });
    await Deno.chmod(path, 0o640);
    {
      await using audit = await startAudit({ sink: "file", path, redact: [] });
      audit.record({ event: "MessageHeld", id: "m2" } satisfies AuditEvent);
    }
    const text = await Deno.readTextFile(path);
    assert.match(
      text,
      /^\{"event":"Earlier"\}\n\{"timestamp":"[^"]+","event":"MessageHeld","id":"m2"\}\n$/,
    );
    if (Deno.build.os !== "windows") assert.equal((await Deno.stat(path)).mode! & 0o777, 0o640);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("startAudit() refuses a file sink without a path", async () => {
  await assert.rejects(startAudit({ sink: "file", redact: [] }), TypeError);
});

Deno.test("startAudit() creates a missing directory and names the file it cannot open", async () => {
  const dir = await Deno.makeTempDir({ prefix: "empath-audit-" });
  try {
    const path = `${dir}/logs/audit/audit.jsonl`;
    await (await startAudit({ sink: "file", path, redact: [] })).close();
    if (Deno.build.os !== "windows") {
      assert.equal((await Deno.stat(`${dir}/logs`)).mode! & 0o777, 0o700);
    }
    await Deno.writeTextFile(`${dir}/not-a-directory`, "");
    await assert.rejects(
      startAudit({ sink: "file", path: `${dir}/not-a-directory/audit.jsonl`, redact: [] }),
      /^Error: Cannot open the audit file ".*not-a-directory\/audit\.jsonl": /,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
