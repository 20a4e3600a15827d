import { parsePolicy } from "./policy.ts";
import type { PolicyFetcher, PolicyFetchProblem, PolicyFetchResult } from "./policy_cache.ts";

/** RFC 8461 §3.3: senders should limit the size of the policy; real ones are a few hundred bytes. */
const DEFAULT_MAX_BYTES = 64 * 1024;
const DEFAULT_TIMEOUT_MS = 10_000;
/** How a certificate the policy host presented fails to verify, in Deno's `fetch` errors. */
const CERTIFICATE_ERROR_REGEXP = /certificate|UnknownIssuer|NotValidForName|CertExpired/i;

/** Options of {@linkcode HttpsPolicyFetcher}. */
export interface HttpsPolicyFetcherOptions {
  /** PEM CA certificates trusted in addition to the default roots (`[delivery.mta_sts] ca_file`). */
  readonly caCerts?: readonly string[];
  /**
   * An HTTP proxy URL (`http://host:port`) that policy requests tunnel through
   * with CONNECT (`[delivery.mta_sts] proxy`); the TLS session still runs end
   * to end with `mta-sts.<domain>`, whose certificate is checked. Absent: direct.
   */
  readonly proxy?: string;
  /** Time limit of one fetch, headers and body. @default {10_000} */
  readonly timeoutMs?: number;
  /** Largest policy accepted, in bytes. @default {65_536} */
  readonly maxBytes?: number;
}

/**
 * Fetches `https://mta-sts.<domain>/.well-known/mta-sts.txt` (RFC 8461 §3.3)
 * with Deno's `fetch` over its own `Deno.HttpClient`: port 443, the
 * certificate must be valid for `mta-sts.<domain>` (chain and name, which
 * `fetch` always checks), redirects are not followed, only `200` with media
 * type `text/plain` is accepted, the body is cut off above `maxBytes`, and the
 * whole exchange is bounded by `timeoutMs`. The host name is resolved by the
 * system resolver (Deno's `fetch` does its own lookups), not `[dns]`.
 *
 * Close it when done: it holds the HTTP client's connections.
 *
 * @example Usage
 * ```ts ignore
 * using fetcher = new HttpsPolicyFetcher();
 * const result = await fetcher.fetchPolicy("example.org");
 * if (result.kind === "policy") console.log(result.policy.mode);
 * ```
 */
export class HttpsPolicyFetcher implements PolicyFetcher, Disposable {
  readonly #client: Deno.HttpClient;
  readonly #timeoutMs: number;
  readonly #maxBytes: number;

  /** @param options Trust store, proxy and limits. */
  constructor(options: HttpsPolicyFetcherOptions = {}) {
    this.#client = Deno.createHttpClient({
      caCerts: options.caCerts === undefined ? undefined : [...options.caCerts],
      proxy: options.proxy === undefined ? undefined : { url: options.proxy },
      // Policies are fetched seldom; do not keep connections around.
      poolMaxIdlePerHost: 0,
    });
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  }

  /**
   * Fetches and parses the policy of `domain`.
   *
   * @param domain The recipient domain, lowercase.
   * @returns The policy, or why there is none; never rejects.
   */
  async fetchPolicy(domain: string): Promise<PolicyFetchResult> {
    const url = `https://mta-sts.${domain}/.well-known/mta-sts.txt`;
    const signal = AbortSignal.timeout(this.#timeoutMs);
    try {
      const response = await fetch(url, {
        client: this.#client,
        redirect: "manual",
        signal,
        headers: { accept: "text/plain" },
      });
      const problem = responseProblem(response, this.#maxBytes);
      if (problem !== undefined) {
        await response.body?.cancel().catch(() => {});
        return failed(url, problem.reason, problem.problem);
      }
      const text = await readLimited(response, this.#maxBytes);
      if (text === undefined) {
        return failed(url, `the policy is larger than ${this.#maxBytes} bytes`, "invalid");
      }
      const parsed = parsePolicy(text);
      return parsed.kind === "policy" ? parsed : failed(url, parsed.reason, "invalid");
    } catch (error) {
      if (signal.aborted) {
        return failed(url, `no answer within ${this.#timeoutMs} ms`, "fetch-error");
      }
      const reason = describe(error);
      return failed(
        url,
        reason,
        CERTIFICATE_ERROR_REGEXP.test(reason) ? "webpki-invalid" : "fetch-error",
      );
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

function responseProblem(
  response: Response,
  maxBytes: number,
): { reason: string; problem: PolicyFetchProblem } | undefined {
  // RFC 8461 §3.3: redirects are not followed; anything but 200 is no policy.
  if (response.status !== 200) {
    return { reason: `HTTP status ${response.status}`, problem: "fetch-error" };
  }
  const type = response.headers.get("content-type") ?? "";
  const mediaType = type.split(";")[0].trim().toLowerCase();
  if (mediaType !== "text/plain") {
    return { reason: `media type "${type}" is not text/plain`, problem: "invalid" };
  }
  const length = Number(response.headers.get("content-length") ?? "0");
  if (length > maxBytes) {
    return { reason: `the policy is larger than ${maxBytes} bytes`, problem: "invalid" };
  }
  return undefined;
}

/** The body as text, or `undefined` as soon as it exceeds `maxBytes`. */
async function readLimited(response: Response, maxBytes: number): Promise<string | undefined> {
  if (response.body === null) return "";
  const decoder = new TextDecoder();
  let text = "";
  let size = 0;
  const reader = response.body.getReader();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > maxBytes) return undefined;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return text + decoder.decode();
}

function failed(url: string, reason: string, problem: PolicyFetchProblem): PolicyFetchResult {
  return { kind: "failed", reason: `${url}: ${reason}`, problem };
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // fetch() reports "fetch failed" with the useful detail in its cause.
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`.replace(/\s+/g, " ").slice(0, 300);
}
