/**
 * A local MTA-STS policy host for tests: an HTTPS server (Deno.serve) with a
 * certificate for `mta-sts.<domain>` of the given domains, signed by the test
 * CA, behind a tiny HTTP CONNECT proxy on loopback. Empath's policy fetcher
 * goes through the proxy (`[delivery.mta_sts] proxy`), so the request still
 * names `https://mta-sts.<domain>/` and TLS still checks that name, yet
 * reaches the local server whatever the domain.
 */
import type { Config } from "../../lib/config/mod.ts";
import { issueCertificate } from "./certs.ts";
import { closeAll } from "./net.ts";

/** What the server answers for one domain's `/.well-known/mta-sts.txt`. */
export interface PolicyResponse {
  readonly body: string;
  /** @default {200} */
  readonly status?: number;
  /** @default {"text/plain"} */
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
  /** Send the body as a stream, without `Content-Length`. @default {false} */
  readonly streamed?: boolean;
  /** Wait this long before answering. @default {0} */
  readonly delayMs?: number;
}

/** A running policy host; dispose to stop it. */
export interface PolicyHost extends AsyncDisposable {
  /** `http://127.0.0.1:<port>`: the CONNECT proxy. */
  readonly proxyUrl: string;
  /** The `Host` of every request served, in order (`mta-sts.<domain>`). */
  readonly requests: string[];
  /** What `mta-sts.<domain>` answers from now on; `undefined`: 404. */
  set(domain: string, response: PolicyResponse | undefined): void;
  /** Stops answering: the proxy refuses new tunnels (fetches fail), or answers again. */
  setDown(down: boolean): void;
}

/**
 * Starts the policy host.
 *
 * @param certificateDomains Domains whose `mta-sts.<domain>` the certificate names.
 * @param responses Initial answers, by domain.
 */
export async function startPolicyHost(
  certificateDomains: readonly string[],
  responses: Record<string, PolicyResponse> = {},
): Promise<PolicyHost> {
  const certificate = await issueCertificate(certificateDomains.map((d) => `mta-sts.${d}`));
  const answers = new Map(Object.entries(responses));
  const requests: string[] = [];
  const stop = new AbortController();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: certificate.certPem,
    key: certificate.keyPem,
    signal: stop.signal,
    onListen() {},
  }, async (request) => {
    const host = new URL(request.url).hostname;
    requests.push(host);
    const answer = answers.get(host.replace(/^mta-sts\./, ""));
    if (answer === undefined || new URL(request.url).pathname !== "/.well-known/mta-sts.txt") {
      return new Response("not found", { status: 404 });
    }
    if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
    const bytes = new TextEncoder().encode(answer.body);
    const body = answer.streamed ? ReadableStream.from(chunks(bytes)) : bytes;
    return new Response(body, {
      status: answer.status ?? 200,
      headers: { "content-type": answer.contentType ?? "text/plain", ...answer.headers },
    });
  });
  const proxy = new ConnectProxy(server.addr.port);
  return {
    proxyUrl: `http://127.0.0.1:${proxy.port}`,
    requests,
    set: (domain, response) => {
      if (response === undefined) answers.delete(domain);
      else answers.set(domain, response);
    },
    setDown: (down) => proxy.down = down,
    async [Symbol.asyncDispose]() {
      await proxy.close();
      stop.abort();
      await server.finished;
    },
  };
}

/** Answers `CONNECT host:443` by tunnelling to the local server; anything else gets 405. */
class ConnectProxy {
  readonly #listener: Deno.TcpListener;
  readonly #targetPort: number;
  readonly #tunnels = new Set<Promise<void>>();
  readonly #conns = new Set<Deno.Conn>();
  readonly #accepting: Promise<void>;
  down = false;

  constructor(targetPort: number) {
    this.#targetPort = targetPort;
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#accepting = this.#accept();
  }

  get port(): number {
    return this.#listener.addr.port;
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.#listener) {
        const tunnel = this.#tunnel(conn).finally(() => this.#tunnels.delete(tunnel));
        this.#tunnels.add(tunnel);
      }
    } catch {
      // closed
    }
  }

  async #tunnel(client: Deno.Conn): Promise<void> {
    this.#conns.add(client);
    let upstream: Deno.Conn | undefined;
    try {
      const head = await readHead(client);
      if (this.down || head === undefined || !head.startsWith("CONNECT ")) {
        await client.write(new TextEncoder().encode("HTTP/1.1 503 Unavailable\r\n\r\n"));
        return;
      }
      upstream = await Deno.connect({ hostname: "127.0.0.1", port: this.#targetPort });
      this.#conns.add(upstream);
      await client.write(new TextEncoder().encode("HTTP/1.1 200 Connection established\r\n\r\n"));
      await Promise.all([
        client.readable.pipeTo(upstream.writable).catch(() => {}),
        upstream.readable.pipeTo(client.writable).catch(() => {}),
      ]);
    } catch {
      // a tunnel cut at shutdown
    } finally {
      for (const conn of [client, upstream]) {
        if (conn === undefined) continue;
        this.#conns.delete(conn);
        try {
          conn.close();
        } catch {
          // already closed by pipeTo
        }
      }
    }
  }

  async close(): Promise<void> {
    this.#listener.close();
    closeAll(this.#conns);
    await this.#accepting;
    await Promise.all(this.#tunnels);
  }
}

function* chunks(bytes: Uint8Array): Generator<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += 8192) {
    yield bytes.subarray(offset, offset + 8192);
  }
}

/** Reads up to the end of the request head (the client sends nothing more before 200). */
async function readHead(conn: Deno.Conn): Promise<string | undefined> {
  const buffer = new Uint8Array(4096);
  let head = "";
  while (!head.includes("\r\n\r\n")) {
    const n = await conn.read(buffer);
    if (n === null || head.length > 16_384) return undefined;
    head += new TextDecoder().decode(buffer.subarray(0, n));
  }
  return head;
}

/** Where {@linkcode deliverUnderMtaSts} points Empath. */
export interface MtaStsWorld {
  /** The port every delivery goes to (the MX peer). */
  readonly peerPort: number;
  /** The dnsmasq port serving the `_mta-sts` (and other) records. */
  readonly dnsPort: number;
  /** The CA file that signed the policy host's certificates. */
  readonly caFile: string;
  /** The policy host's proxy URL ({@linkcode PolicyHost.proxyUrl}). */
  readonly proxyUrl: string;
}

/**
 * Turns delivery on with MTA-STS in `config`: every MX on loopback at `peerPort`, DNS from the
 * test name server, policies fetched through the policy host. A deferred message waits ten
 * minutes, so a test sees exactly one attempt.
 */
export function deliverUnderMtaSts(config: Config, world: MtaStsWorld): void {
  config.delivery.enabled = true;
  config.delivery.allowPrivateDestinations = true;
  config.delivery.port = world.peerPort;
  config.dns.nameServer = `127.0.0.1:${world.dnsPort}`;
  config.dns.timeout = 1_000;
  config.queue.retry = [600_000];
  config.delivery.mtaSts = {
    enabled: true,
    caFile: world.caFile,
    proxy: world.proxyUrl,
    cacheSize: 100,
  };
}
