/**
 * Submits gzipped reports to `https:` destinations (RFC 8460 §5.2).
 *
 * @module
 */

const DEFAULT_TIMEOUT_MS = 30_000;

/** What submitting one report gave. */
export type PostResult =
  | { readonly kind: "sent" }
  | { readonly kind: "failed"; readonly reason: string };

/** The port that submits a report to an `https:` URI. */
export interface ReportPoster {
  /**
   * POSTs `body` (gzipped JSON) to `uri`. Never rejects: failures are values.
   *
   * @param uri The `https:` destination.
   * @param body The gzipped report.
   */
  post(uri: string, body: Uint8Array): Promise<PostResult>;
}

/** Options of {@linkcode HttpsReportPoster}. */
export interface HttpsReportPosterOptions {
  /** PEM CA certificates trusted in addition to the default roots (`[delivery.tls_rpt] ca_file`). */
  readonly caCerts?: readonly string[];
  /** Time limit of one submission. @default {30_000} */
  readonly timeoutMs?: number;
}

/**
 * POSTs reports with `Content-Type: application/tlsrpt+gzip` (RFC 8460 §5.2) over Deno's
 * `fetch` with its own `Deno.HttpClient`: the certificate must be valid for the URI's host,
 * redirects are not followed, any `2xx` answer is success, and each submission is bounded by
 * `timeoutMs`. Close it when done.
 *
 * @example Usage
 * ```ts ignore
 * using poster = new HttpsReportPoster();
 * const result = await poster.post("https://reports.example.org/tlsrpt", gzip);
 * ```
 */
export class HttpsReportPoster implements ReportPoster, Disposable {
  readonly #client: Deno.HttpClient;
  readonly #timeoutMs: number;

  /** @param options Trust store and time limit. */
  constructor(options: HttpsReportPosterOptions = {}) {
    this.#client = Deno.createHttpClient({
      caCerts: options.caCerts === undefined ? undefined : [...options.caCerts],
      poolMaxIdlePerHost: 0,
    });
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /**
   * Submits one report.
   *
   * @param uri The `https:` destination.
   * @param body The gzipped report.
   * @returns `sent` on a `2xx` answer, otherwise why not; never rejects.
   */
  async post(uri: string, body: Uint8Array): Promise<PostResult> {
    if (!uri.toLowerCase().startsWith("https:")) {
      return { kind: "failed", reason: `${uri}: not an https: URI` };
    }
    const signal = AbortSignal.timeout(this.#timeoutMs);
    try {
      const response = await fetch(uri, {
        method: "POST",
        client: this.#client,
        redirect: "manual",
        signal,
        headers: { "content-type": "application/tlsrpt+gzip" },
        body: body.slice(),
      });
      await response.body?.cancel().catch(() => {});
      if (response.status >= 200 && response.status < 300) return { kind: "sent" };
      return { kind: "failed", reason: `${uri}: HTTP status ${response.status}` };
    } catch (error) {
      if (signal.aborted) {
        return { kind: "failed", reason: `${uri}: no answer within ${this.#timeoutMs} ms` };
      }
      return { kind: "failed", reason: `${uri}: ${describe(error)}` };
    }
  }

  /** Closes the HTTP client. */
  close(): void {
    this.#client.close();
  }

  /** Closes the HTTP client. */
  [Symbol.dispose](): void {
    this.close();
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`.replace(/\s+/g, " ").slice(0, 300);
}
