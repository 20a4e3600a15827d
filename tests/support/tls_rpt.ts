/**
 * A local HTTPS endpoint for SMTP TLS reports (RFC 8460 §5.2): Deno.serve on 127.0.0.1 with the
 * test CA's certificate for `localhost`, recording every POST; and helpers to read a report
 * back from its gzip bytes or from a report email.
 */
import { testCertificates } from "./certs.ts";

/** One POST the collector received. */
export interface CollectedReport {
  readonly path: string;
  readonly contentType: string | null;
  readonly body: Uint8Array;
}

/** A running collector; dispose to stop it. */
export interface ReportCollector extends AsyncDisposable {
  /** `https://localhost:<port><path>`. */
  url(path: string): string;
  /** The POSTs received so far, in order. */
  readonly reports: CollectedReport[];
  /** The statuses of the next answers, in order; `200` once they are used up. */
  readonly statuses: number[];
}

/** Starts the collector; clients must trust the test CA (`testCertificates().caPem`). */
export async function startReportCollector(): Promise<ReportCollector> {
  const certs = await testCertificates();
  const reports: CollectedReport[] = [];
  const statuses: number[] = [];
  const stop = new AbortController();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: await Deno.readTextFile(certs.cert),
    key: await Deno.readTextFile(certs.key),
    signal: stop.signal,
    onListen() {},
  }, async (request) => {
    const body = new Uint8Array(await request.arrayBuffer());
    reports.push({
      path: new URL(request.url).pathname,
      contentType: request.headers.get("content-type"),
      body,
    });
    return new Response(null, { status: statuses.shift() ?? 200 });
  });
  return {
    url: (path) => `https://localhost:${server.addr.port}${path}`,
    reports,
    statuses,
    async [Symbol.asyncDispose]() {
      stop.abort();
      await server.finished;
    },
  };
}

/** Decompresses a gzipped JSON report. */
export async function gunzipJson(gzip: Uint8Array): Promise<unknown> {
  const bytes = new Uint8Array(gzip);
  return await new Response(
    new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip")),
  ).json();
}

/** The attachment of a report email (`application/tlsrpt+gzip`, base64), decoded. */
export function reportAttachment(message: string): { fileName: string; gzip: Uint8Array } {
  const match =
    /Content-Type: application\/tlsrpt\+gzip; name="([^"]+)"\r\n(?:[^\r\n]+\r\n)*\r\n([A-Za-z0-9+/=\r\n]+?)\r\n--/
      .exec(message);
  if (match === null) throw new Error("No application/tlsrpt+gzip part in the message");
  return { fileName: match[1], gzip: Uint8Array.fromBase64(match[2].replace(/\r\n/g, "")) };
}
