import assert from "node:assert/strict";
import { buildTlsReport, gzipReport, reportFileName, reportRange } from "./report.ts";
import { buildReportMessage } from "./report_message.ts";

const SUBMITTER = {
  organization: "Example Inc.",
  contact: "tls-reports@mx.example.test",
  domain: "mx.example.test",
};

async function message() {
  const range = reportRange(Date.UTC(2024, 2, 1), Date.UTC(2024, 2, 2));
  const report = buildTlsReport("example.org", [{
    policy: { type: "no-policy-found", strings: [], mx: [] },
    successes: 2,
    failures: [],
  }], { submitter: SUBMITTER, range });
  const fileName = reportFileName(SUBMITTER.domain, "example.org", range);
  const text = buildReportMessage({
    domain: "example.org",
    submitter: SUBMITTER,
    reportId: report["report-id"],
    range,
    fileName,
    gzip: await gzipReport(report),
    to: "tlsrpt@example.org",
    date: "Sat, 02 Mar 2024 00:01:00 +0000",
    boundary: "=_tlsrpt_1",
  });
  return { text, report, fileName };
}

/** The header fields of a message, unfolded, by lowercase name. */
function headerFields(text: string): Map<string, string> {
  const header = text.slice(0, text.indexOf("\r\n\r\n")).replace(/\r\n[ \t]/g, " ");
  return new Map(
    header.split("\r\n").map((line) => {
      const colon = line.indexOf(":");
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
    }),
  );
}

Deno.test("buildReportMessage() writes the RFC 8460 §5.3 header fields", async () => {
  const { text, report } = await message();
  const fields = headerFields(text);
  assert.equal(fields.get("from"), "<tls-reports@mx.example.test>");
  assert.equal(fields.get("to"), "<tlsrpt@example.org>");
  assert.equal(
    fields.get("subject"),
    `Report Domain: example.org Submitter: mx.example.test Report-ID: <${report["report-id"]}>`,
  );
  assert.equal(fields.get("tls-report-domain"), "example.org");
  assert.equal(fields.get("tls-report-submitter"), "mx.example.test");
  assert.equal(fields.get("message-id"), `<${report["report-id"]}>`);
  assert.equal(fields.get("mime-version"), "1.0");
  assert.equal(
    fields.get("content-type"),
    'multipart/report; report-type="tlsrpt"; boundary="=_tlsrpt_1"',
  );
});

Deno.test("buildReportMessage() attaches the gzipped report as application/tlsrpt+gzip", async () => {
  const { text, report, fileName } = await message();
  const parts = text.split("\r\n--=_tlsrpt_1");
  assert.equal(parts.length, 4);
  assert.match(parts[1], /^\r\nContent-Type: text\/plain; charset=us-ascii\r\n/);
  assert.equal(parts[3], "--\r\n");
  const [head, body] = parts[2].split("\r\n\r\n");
  assert.match(head, /Content-Type: application\/tlsrpt\+gzip; name="([^"]+)"/);
  assert.ok(head.includes(`Content-Disposition: attachment; filename="${fileName}"`));
  assert.ok(head.includes("Content-Transfer-Encoding: base64"));
  const lines = body.split("\r\n");
  assert.ok(lines.every((line) => line.length <= 76));
  const gzip = Uint8Array.fromBase64(lines.join(""));
  const json = await new Response(
    new Blob([gzip]).stream().pipeThrough(new DecompressionStream("gzip")),
  ).json();
  assert.deepEqual(json, JSON.parse(JSON.stringify(report)));
  // 7-bit, CRLF only.
  assert.ok(/^[\t\r\n -~]*$/.test(text));
  assert.ok(!/[^\r]\n/.test(text));
});
