import assert from "node:assert/strict";
import { debianPython, run, skipWithout } from "../../tests/support/peers.ts";
import { buildDsn, type DsnOptions, shouldBounce } from "./dsn.ts";

const ARRIVAL = Date.UTC(2024, 0, 2, 3, 4, 5);
const NOW = ARRIVAL + 3_600_000;

function options(overrides: Partial<DsnOptions> = {}): DsnOptions {
  return {
    reportingMta: "mx.example.test",
    originalEnvelope: {
      id: "01HZZZZZZZZZZZZZZZZZZZZZZZ",
      reversePath: "alice@example.test",
      receivedFrom: { ip: "192.0.2.7", helo: "client.example.test" },
    },
    recipients: [
      {
        address: "bob@example.org",
        action: "failed",
        status: "5.1.1",
        diagnostic: { code: 550, enhanced: "5.1.1", lines: ["<bob@example.org>: No such user"] },
        remoteMta: "mx.example.org",
        lastAttemptAt: NOW - 1000,
      },
      {
        address: "carol@example.net",
        action: "delayed",
        status: "4.4.1",
        reason: "connect to mx.example.net[198.51.100.1]:25: Connection refused",
        lastAttemptAt: NOW - 2000,
        willRetryUntil: ARRIVAL + 5 * 86_400_000,
      },
    ],
    originalHeaders:
      "From: Alice <alice@example.test>\r\nTo: bob@example.org\r\nSubject: Hello\r\n\r\n",
    arrivalDate: ARRIVAL,
    now: NOW,
    messageId: "<dsn.01HZ@mx.example.test>",
    boundary: "=_empath_b0undary",
    ...overrides,
  };
}

function headerBlock(body: string): string {
  return body.slice(0, body.indexOf("\r\n\r\n"));
}

Deno.test("buildDsn() addresses the sender with the null reverse path", () => {
  const dsn = buildDsn(options());
  assert.equal(dsn.reversePath, "");
  assert.equal(dsn.recipient, "alice@example.test");
  assert.equal(dsn.smtputf8, false);
});

Deno.test("buildDsn() writes the RFC 3464 / RFC 6522 top-level header fields", () => {
  const headers = headerBlock(buildDsn(options()).body);
  assert.equal(
    headers,
    [
      "Date: Tue, 02 Jan 2024 04:04:05 +0000",
      "From: Mail Delivery System <MAILER-DAEMON@mx.example.test>",
      "To: <alice@example.test>",
      "Subject: Undelivered Mail Returned to Sender",
      "Message-ID: <dsn.01HZ@mx.example.test>",
      "Auto-Submitted: auto-replied",
      "MIME-Version: 1.0",
      "Content-Type: multipart/report; report-type=delivery-status;",
      '\tboundary="=_empath_b0undary"',
    ].join("\r\n"),
  );
});

Deno.test("buildDsn() writes per-message and per-recipient delivery-status fields", () => {
  const body = buildDsn(options()).body;
  const start = body.indexOf("Content-Type: message/delivery-status\r\n\r\n");
  const report = body.slice(start).split("\r\n\r\n").slice(1, 4).join("\r\n\r\n");
  assert.equal(
    report,
    [
      "Reporting-MTA: dns; mx.example.test",
      "X-Empath-Queue-ID: 01HZZZZZZZZZZZZZZZZZZZZZZZ",
      "X-Empath-Sender: rfc822; alice@example.test",
      "Received-From-MTA: dns; client.example.test (192.0.2.7)",
      "Arrival-Date: Tue, 02 Jan 2024 03:04:05 +0000",
      "",
      "Final-Recipient: rfc822; bob@example.org",
      "Action: failed",
      "Status: 5.1.1",
      "Remote-MTA: dns; mx.example.org",
      "Diagnostic-Code: smtp; 550 5.1.1 <bob@example.org>: No such user",
      "Last-Attempt-Date: Tue, 02 Jan 2024 04:04:04 +0000",
      "",
      "Final-Recipient: rfc822; carol@example.net",
      "Action: delayed",
      "Status: 4.4.1",
      "Diagnostic-Code: X-Empath; connect to mx.example.net[198.51.100.1]:25:",
      " Connection refused",
      "Last-Attempt-Date: Tue, 02 Jan 2024 04:04:03 +0000",
      "Will-Retry-Until: Sun, 07 Jan 2024 03:04:05 +0000",
    ].join("\r\n"),
  );
});

Deno.test("buildDsn() has three parts and ends with the closing boundary", () => {
  const body = buildDsn(options()).body;
  assert.equal(body.split("\r\n--=_empath_b0undary\r\n").length, 4);
  assert.ok(body.endsWith("\r\n--=_empath_b0undary--\r\n"));
  assert.match(
    body,
    /Content-Type: text\/plain; charset=us-ascii\r\n\r\nThis is the mail delivery/,
  );
  assert.match(
    body,
    /Content-Type: text\/rfc822-headers\r\n\r\nFrom: Alice <alice@example\.test>\r\n/,
  );
  assert.doesNotMatch(body.replace(/\r\n/g, ""), /[\r\n]/); // no bare CR or LF
  assert.ok(body.split("\r\n").every((line) => line.length <= 998));
});

Deno.test("buildDsn() names the report by its most important action", () => {
  const [failed, delayed] = options().recipients;
  const subject = (recipients: DsnOptions["recipients"]) =>
    /\r\nSubject: ([^\r]*)/.exec(buildDsn(options({ recipients })).body)![1];
  assert.equal(subject([delayed, failed]), "Undelivered Mail Returned to Sender");
  assert.equal(subject([delayed]), "Delayed Mail (still being retried)");
  assert.equal(
    subject([{ address: "d@example.org", action: "delivered", status: "2.0.0" }]),
    "Successful Mail Delivery Report",
  );
});

Deno.test("buildDsn() keeps headers and the report 7-bit with non-ASCII input", () => {
  const dsn = buildDsn(options({
    recipients: [{
      address: "jörg@exämple.org",
      action: "failed",
      status: "5.1.1",
      diagnostic: { code: 550, enhanced: "5.1.1", lines: ["Benutzer unbekannt: jörg\r\n550 Fin"] },
    }],
    originalHeaders: "Subject: Grüße\r\n",
  }));
  const [top, ...rest] = dsn.body.split("\r\n\r\n");
  assert.match(top, /^[\x20-\x7e\t\r\n]*$/);
  const report = rest.join("\r\n\r\n");
  assert.match(report, /Final-Recipient: utf-8; j\\x\{F6\}rg@ex\\x\{E4\}mple\.org\r\n/);
  assert.match(
    report.replace(/\r\n /g, " "),
    /Diagnostic-Code: smtp; 550 5\.1\.1 Benutzer unbekannt: j\\x\{F6\}rg\\x\{0D\}\\x\{0A\}550 Fin/,
  );
  assert.match(
    dsn.body,
    /Content-Type: text\/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n/,
  );
  assert.match(
    dsn.body,
    /Content-Type: text\/rfc822-headers; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n/,
  );
  assert.ok([...dsn.body].every((char) => char.charCodeAt(0) < 0x80));
});

Deno.test("buildDsn() flags a non-ASCII sender for SMTPUTF8", () => {
  const envelope = { id: "01HZ", reversePath: "álice@example.test" };
  const dsn = buildDsn(options({ originalEnvelope: envelope }));
  assert.equal(dsn.smtputf8, true);
  assert.match(dsn.body, /X-Empath-Sender: utf-8; \\x\{E1\}lice@example\.test/);
});

Deno.test("buildDsn() folds long diagnostics and escapes a hostile EHLO name", () => {
  const long = Array.from({ length: 60 }, (_, i) => `word${i}`).join(" ");
  const dsn = buildDsn(options({
    originalEnvelope: {
      id: "01HZ",
      reversePath: "alice@example.test",
      receivedFrom: { ip: "192.0.2.7", helo: "evil)\r\nAction: delivered" },
    },
    recipients: [{
      address: "b@example.org",
      action: "failed",
      status: "5.0.0",
      diagnostic: { code: 554, lines: [long] },
    }],
  }));
  assert.match(
    dsn.body,
    /Received-From-MTA: dns; evil\\x\{29\}\\x\{0D\}\\x\{0A\}Action: delivered \(192\.0\.2\.7\)/,
  );
  assert.doesNotMatch(dsn.body, /\r\nAction: delivered/);
  const lines = dsn.body.split("\r\n");
  const at = lines.findIndex((line) => line.startsWith("Diagnostic-Code:"));
  assert.ok(lines[at].length <= 78 && lines[at + 1].startsWith(" word"));
  const unfolded = lines.slice(at).join("\r\n").split(/\r\n(?! )/)[0].replace(/\r\n /g, " ");
  assert.equal(unfolded, `Diagnostic-Code: smtp; 554 ${long}`);
});

Deno.test("buildDsn() rejects what it must not send or cannot write", () => {
  assert.throws(
    () => buildDsn(options({ originalEnvelope: { id: "x", reversePath: "" } })),
    TypeError,
  );
  assert.throws(
    () =>
      buildDsn(
        options({ originalEnvelope: { id: "x", reversePath: "MAILER-DAEMON@example.org" } }),
      ),
    TypeError,
  );
  assert.throws(() => buildDsn(options({ recipients: [] })), TypeError);
  assert.throws(() => buildDsn(options({ reportingMta: "mx example" })), TypeError);
  assert.throws(() => buildDsn(options({ messageId: "no-at-sign" })), TypeError);
  assert.throws(() => buildDsn(options({ boundary: "" })), TypeError);
  assert.throws(() => buildDsn(options({ boundary: "x".repeat(71) })), TypeError);
  assert.throws(() => buildDsn(options({ boundary: "bad\r\n" })), TypeError);
  const recipient = { address: "b@example.org", action: "failed" as const, status: "550" };
  assert.throws(() => buildDsn(options({ recipients: [recipient] })), TypeError);
  assert.throws(() => buildDsn(options({ originalHeaders: "--=_empath_b0undary\r\n" })), TypeError);
});

Deno.test("buildDsn() for a delay warning reports Action: delayed, the 4.x.x status and Will-Retry-Until", () => {
  const [, delayed] = options().recipients;
  const dsn = buildDsn(options({
    recipients: [{
      ...delayed,
      reason: undefined,
      status: "4.7.1",
      diagnostic: { code: 451, enhanced: "4.7.1", lines: ["Greylisted, try later"] },
    }],
  }));
  assert.equal(dsn.reversePath, "");
  assert.match(dsn.body, /\r\nSubject: Delayed Mail \(still being retried\)\r\n/);
  const report = dsn.body.slice(dsn.body.indexOf("Content-Type: message/delivery-status"));
  assert.match(
    report,
    /\r\nFinal-Recipient: rfc822; carol@example\.net\r\nAction: delayed\r\nStatus: 4\.7\.1\r\n/,
  );
  assert.match(report, /\r\nDiagnostic-Code: smtp; 451 4\.7\.1 Greylisted, try later\r\n/);
  assert.match(report, /\r\nWill-Retry-Until: Sun, 07 Jan 2024 03:04:05 \+0000\r\n/);
  const notice = dsn.body.slice(
    dsn.body.indexOf("This is the mail delivery"),
    dsn.body.indexOf("\r\n--=_empath_b0undary", dsn.body.indexOf("This is the mail delivery")),
  );
  assert.equal(
    notice,
    [
      "This is the mail delivery system at mx.example.test.",
      "",
      "Your message could not be delivered yet to one or more recipients.",
      "The system will keep trying until Sun, 07 Jan 2024 03:04:05 +0000;",
      "you do not need to send it again. No action is needed on your part.",
      "If it still cannot be delivered by then, you will get another notice.",
      "",
      "Delivery is delayed, the system will try again:",
      "  <carol@example.net>: the remote server said: 451 4.7.1 Greylisted, try",
      "    later",
      "",
      "",
    ].join("\r\n"),
  );
});

Deno.test("shouldBounce() refuses the null sender and MAILER-DAEMON", () => {
  assert.equal(shouldBounce("alice@example.org"), true);
  assert.equal(shouldBounce("postmaster@example.org"), true);
  assert.equal(shouldBounce("mailer-daemonic@example.org"), true);
  assert.equal(shouldBounce(""), false);
  assert.equal(shouldBounce("<>"), false);
  assert.equal(shouldBounce("MAILER-DAEMON@example.org"), false);
  assert.equal(shouldBounce("<mailer-daemon@example.org>"), false);
  assert.equal(shouldBounce("Mailer-Daemon"), false);
});

const PYTHON_CHECK = `
import email, json, sys
msg = email.message_from_string(sys.stdin.read())
parts = msg.get_payload()
report = parts[1].get_payload()
norm = lambda v: " ".join(v.split()) if v is not None else None
out = {
  "type": msg.get_content_type(),
  "reportType": msg.get_param("report-type"),
  "parts": [p.get_content_type() for p in parts],
  "defects": [str(d) for p in [msg, *parts] for d in p.defects],
  "perMessage": {k: norm(v) for k, v in report[0].items()},
  "recipients": [{k: norm(v) for k, v in block.items()} for block in report[1:]],
  "notice": parts[0].get_payload(decode=True).decode(parts[0].get_content_charset()),
  "headers": parts[2].get_payload(decode=True).decode("utf-8"),
  "autoSubmitted": msg["Auto-Submitted"],
}
print(json.dumps(out))
`;

async function parseWithPython(body: string) {
  const result = await run(debianPython(), ["-c", PYTHON_CHECK], { stdin: body });
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout);
}

Deno.test({
  name: "buildDsn() output parses with python's email package as a delivery report",
  ignore: skipWithout("python3", "python3"),
  async fn() {
    const parsed = await parseWithPython(buildDsn(options()).body);
    assert.equal(parsed.type, "multipart/report");
    assert.equal(parsed.reportType, "delivery-status");
    assert.deepEqual(parsed.parts, [
      "text/plain",
      "message/delivery-status",
      "text/rfc822-headers",
    ]);
    assert.deepEqual(parsed.defects, []);
    assert.equal(parsed.autoSubmitted, "auto-replied");
    assert.equal(parsed.perMessage["Reporting-MTA"], "dns; mx.example.test");
    assert.deepEqual(parsed.recipients, [
      {
        "Final-Recipient": "rfc822; bob@example.org",
        "Action": "failed",
        "Status": "5.1.1",
        "Remote-MTA": "dns; mx.example.org",
        "Diagnostic-Code": "smtp; 550 5.1.1 <bob@example.org>: No such user",
        "Last-Attempt-Date": "Tue, 02 Jan 2024 04:04:04 +0000",
      },
      {
        "Final-Recipient": "rfc822; carol@example.net",
        "Action": "delayed",
        "Status": "4.4.1",
        "Diagnostic-Code":
          "X-Empath; connect to mx.example.net[198.51.100.1]:25: Connection refused",
        "Last-Attempt-Date": "Tue, 02 Jan 2024 04:04:03 +0000",
        "Will-Retry-Until": "Sun, 07 Jan 2024 03:04:05 +0000",
      },
    ]);
    assert.match(parsed.notice, /<bob@example\.org>: host mx\.example\.org said: 550 5\.1\.1/);
    assert.match(
      parsed.headers,
      /^From: Alice <alice@example\.test>\r?\nTo: bob@example\.org\r?\nSubject: Hello/,
    );
  },
});

Deno.test({
  name: "buildDsn() output with non-ASCII diagnostics still parses with python",
  ignore: skipWithout("python3", "python3"),
  async fn() {
    const parsed = await parseWithPython(
      buildDsn(options({
        recipients: [{
          address: "jörg@exämple.org",
          action: "failed",
          status: "5.1.1",
          diagnostic: { code: 550, enhanced: "5.1.1", lines: ["Benutzer unbekannt: jörg"] },
        }],
        originalHeaders: "Subject: Grüße\r\n",
      })).body,
    );
    assert.deepEqual(parsed.defects, []);
    assert.equal(parsed.recipients[0]["Final-Recipient"], "utf-8; j\\x{F6}rg@ex\\x{E4}mple.org");
    assert.equal(
      parsed.recipients[0]["Diagnostic-Code"],
      "smtp; 550 5.1.1 Benutzer unbekannt: j\\x{F6}rg",
    );
    assert.match(parsed.notice.replace(/\s+/g, " "), /Benutzer unbekannt: jörg/);
    assert.match(parsed.headers, /Subject: Grüße/);
  },
});
