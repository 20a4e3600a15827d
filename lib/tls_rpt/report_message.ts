/**
 * The email that carries a report to a `mailto:` destination (RFC 8460 §5.3): a
 * `multipart/report; report-type="tlsrpt"` message with a short text part and the gzipped JSON
 * report as an `application/tlsrpt+gzip` attachment, with `TLS-Report-Domain` and
 * `TLS-Report-Submitter` header fields.
 *
 * @module
 */
import { formatReportTime, type ReportRange, type TlsReportSubmitter } from "./report.ts";

/** RFC 5322 §2.1.1: lines should stay within 78 characters. */
const FOLD_AT = 78;

/** What {@linkcode buildReportMessage} puts in the message. */
export interface ReportMessageInput {
  /** `policy-domain`. */
  readonly domain: string;
  readonly submitter: TlsReportSubmitter;
  /** The report's `report-id`. */
  readonly reportId: string;
  readonly range: ReportRange;
  /** The attachment's file name (`reportFileName()`). */
  readonly fileName: string;
  /** The gzipped JSON report. */
  readonly gzip: Uint8Array;
  /** The recipient address (the `mailto:` URI's address). */
  readonly to: string;
  /** The `Date:` field, already formatted (RFC 5322 §3.3). */
  readonly date: string;
  /** The MIME boundary; must not occur in the parts. */
  readonly boundary: string;
}

/**
 * Builds the report email, CRLF line endings, 7-bit. `From:` is the submitter's contact
 * address; `Message-ID:` is the report id.
 *
 * @param input The report and the message's fields.
 * @returns The message, header and body.
 *
 * @example Usage
 * ```ts
 * import { buildReportMessage } from "./report_message.ts";
 * import assert from "node:assert/strict";
 *
 * const message = buildReportMessage({
 *   domain: "example.org",
 *   submitter: { organization: "Example", contact: "tlsrpt@mx.example.test", domain: "mx.example.test" },
 *   reportId: "1.2.example.org@mx.example.test",
 *   range: { begin: 1704067200, end: 1704153599 },
 *   fileName: "mx.example.test!example.org!1704067200!1704153599.json.gz",
 *   gzip: new Uint8Array([31, 139]),
 *   to: "reports@example.org",
 *   date: "Mon, 01 Jan 2024 00:00:00 +0000",
 *   boundary: "=_tlsrpt_1",
 * });
 * assert.match(message, /^TLS-Report-Domain: example\.org\r$/m);
 * assert.match(message, /report-type="tlsrpt"/);
 * ```
 */
export function buildReportMessage(input: ReportMessageInput): string {
  const { domain, submitter, boundary } = input;
  const header = [
    `From: <${submitter.contact}>`,
    `To: <${input.to}>`,
    fold(
      `Subject: Report Domain: ${domain} Submitter: ${submitter.domain} Report-ID: <${input.reportId}>`,
    ),
    `Date: ${input.date}`,
    `Message-ID: <${input.reportId}>`,
    `TLS-Report-Domain: ${domain}`,
    `TLS-Report-Submitter: ${submitter.domain}`,
    "MIME-Version: 1.0",
    `Content-Type: multipart/report; report-type="tlsrpt";\r\n\tboundary="${boundary}"`,
  ];
  const text = [
    `This is an aggregate TLS report (RFC 8460) from ${submitter.domain} about the TLS`,
    `sessions to ${domain} from ${formatReportTime(input.range.begin)} to ${
      formatReportTime(input.range.end)
    }.`,
    "The report is attached as gzipped JSON.",
  ];
  const body = [
    "This is a multipart message in MIME format.",
    "",
    `--${boundary}`,
    "Content-Type: text/plain; charset=us-ascii",
    "Content-Transfer-Encoding: 7bit",
    "",
    ...text,
    "",
    `--${boundary}`,
    `Content-Type: application/tlsrpt+gzip; name="${input.fileName}"`,
    "Content-Transfer-Encoding: base64",
    `Content-Disposition: attachment; filename="${input.fileName}"`,
    "",
    ...lines(input.gzip.toBase64(), 76),
    "",
    `--${boundary}--`,
  ];
  return `${header.join("\r\n")}\r\n\r\n${body.join("\r\n")}\r\n`;
}

/** Folds a header field at spaces so lines stay near 78 characters (RFC 5322 §2.2.3). */
function fold(field: string): string {
  const folded: string[] = [];
  let line = "";
  for (const word of field.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > FOLD_AT) {
      folded.push(line);
      line = ` ${word}`;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  folded.push(line);
  return folded.join("\r\n");
}

function lines(text: string, width: number): string[] {
  const result: string[] = [];
  for (let start = 0; start < text.length; start += width) {
    result.push(text.slice(start, start + width));
  }
  return result;
}
