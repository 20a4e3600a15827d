import assert from "node:assert/strict";
import type { TlsPolicyCounts } from "../queue/mod.ts";
import {
  buildTlsReport,
  formatReportTime,
  gzipReport,
  reportFileName,
  reportRange,
  type TlsReportSubmitter,
} from "./report.ts";

const SUBMITTER: TlsReportSubmitter = {
  organization: "Example Inc.",
  contact: "tls-reports@mx.example.test",
  domain: "mx.example.test",
};
const DAY = reportRange(Date.UTC(2024, 2, 1), Date.UTC(2024, 2, 2));

const COUNTS: TlsPolicyCounts[] = [
  {
    policy: {
      type: "sts",
      id: "20240301",
      strings: ["version: STSv1", "mode: enforce", "mx: *.example.org", "max_age: 86400"],
      mx: ["*.example.org"],
    },
    successes: 10,
    failures: [
      {
        resultType: "starttls-not-supported",
        receivingMxHostname: "mx2.example.org",
        receivingIp: "192.0.2.2",
        sendingMtaIp: "198.51.100.1",
        count: 3,
      },
      {
        resultType: "certificate-host-mismatch",
        receivingMxHostname: "mx1.example.org",
        receivingIp: "192.0.2.1",
        failureReasonCode: "ERR_TLS_CERT_ALTNAME_INVALID",
        count: 2,
      },
    ],
  },
  { policy: { type: "no-policy-found", strings: [], mx: [] }, successes: 4, failures: [] },
];

Deno.test("buildTlsReport() writes the RFC 8460 §4.4 JSON of one policy domain", () => {
  const report = buildTlsReport("example.org", COUNTS, { submitter: SUBMITTER, range: DAY });
  assert.deepEqual(JSON.parse(JSON.stringify(report)), {
    "organization-name": "Example Inc.",
    "date-range": {
      "start-datetime": "2024-03-01T00:00:00Z",
      "end-datetime": "2024-03-01T23:59:59Z",
    },
    "contact-info": "tls-reports@mx.example.test",
    "report-id": "1709251200.1709337599.example.org@mx.example.test",
    policies: [
      {
        policy: {
          "policy-type": "sts",
          "policy-string": [
            "version: STSv1",
            "mode: enforce",
            "mx: *.example.org",
            "max_age: 86400",
          ],
          "policy-domain": "example.org",
          "mx-host": ["*.example.org"],
        },
        summary: { "total-successful-session-count": 10, "total-failure-session-count": 5 },
        "failure-details": [
          {
            "result-type": "starttls-not-supported",
            "sending-mta-ip": "198.51.100.1",
            "receiving-mx-hostname": "mx2.example.org",
            "receiving-ip": "192.0.2.2",
            "failed-session-count": 3,
          },
          {
            "result-type": "certificate-host-mismatch",
            "receiving-mx-hostname": "mx1.example.org",
            "receiving-ip": "192.0.2.1",
            "failed-session-count": 2,
            "failure-reason-code": "ERR_TLS_CERT_ALTNAME_INVALID",
          },
        ],
      },
      {
        policy: { "policy-type": "no-policy-found", "policy-domain": "example.org" },
        summary: { "total-successful-session-count": 4, "total-failure-session-count": 0 },
        "failure-details": [],
      },
    ],
  });
});

Deno.test("reportRange() covers whole seconds: a UTC day, or a period cut short by an early report", () => {
  assert.deepEqual(DAY, { begin: 1709251200, end: 1709337599 });
  const early = reportRange(Date.UTC(2024, 2, 1), Date.UTC(2024, 2, 1, 9, 30, 0, 250));
  assert.equal(formatReportTime(early.end), "2024-03-01T09:30:00Z");
  // A report begun where an early one ended starts at that second.
  const rest = reportRange(Date.UTC(2024, 2, 1, 9, 30, 0, 250), Date.UTC(2024, 2, 2));
  assert.equal(formatReportTime(rest.begin), "2024-03-01T09:30:00Z");
  assert.deepEqual(reportRange(1_500, 1_600), { begin: 1, end: 1 });
});

Deno.test("reportFileName() follows RFC 8460 §5.3", () => {
  assert.equal(
    reportFileName("mx.example.test", "example.org", DAY),
    "mx.example.test!example.org!1709251200!1709337599.json.gz",
  );
});

Deno.test("gzipReport() gzips the JSON, which DecompressionStream reads back", async () => {
  const report = buildTlsReport("example.org", COUNTS, { submitter: SUBMITTER, range: DAY });
  const gzip = await gzipReport(report);
  assert.deepEqual([...gzip.subarray(0, 2)], [0x1f, 0x8b]);
  const json = await new Response(
    new Blob([gzip]).stream().pipeThrough(new DecompressionStream("gzip")),
  ).json();
  assert.deepEqual(json, JSON.parse(JSON.stringify(report)));
});
