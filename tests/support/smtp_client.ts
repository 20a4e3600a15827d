/** One SMTP reply as a test client reads it off the wire. */
export interface WireReply {
  readonly code: number;
  readonly lines: string[];
  /** The full reply text, lines joined with "\n", codes included. */
  readonly raw: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A minimal raw SMTP client for integration tests: writes exactly the bytes a
 * test gives it and parses replies, so tests can send malformed and pipelined
 * input that a real client library would refuse to produce.
 */
export class TestSmtpClient implements AsyncDisposable {
  #conn: Deno.Conn;
  #buffer = "";
  #closed = false;

  private constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** Connects and returns the client; the greeting is not read yet. */
  static async connect(port: number, hostname = "127.0.0.1"): Promise<TestSmtpClient> {
    return new TestSmtpClient(await Deno.connect({ hostname, port }));
  }

  /** Writes raw bytes or text. */
  async write(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string" ? encoder.encode(data) : data;
    let offset = 0;
    while (offset < bytes.length) offset += await this.#conn.write(bytes.subarray(offset));
  }

  /** Sends one command line (CRLF appended) and reads its reply. */
  async command(line: string): Promise<WireReply> {
    await this.write(line + "\r\n");
    return await this.reply();
  }

  /** Reads one (possibly multi-line) reply. Rejects if the connection closes first. */
  async reply(timeoutMs = 10_000): Promise<WireReply> {
    const lines: string[] = [];
    while (true) {
      const line = await this.#line(timeoutMs);
      lines.push(line);
      if (!/^\d{3}-/.test(line)) break;
    }
    return { code: Number(lines.at(-1)!.slice(0, 3)), lines, raw: lines.join("\n") };
  }

  /** Reads `count` replies (for pipelined commands). */
  async replies(count: number): Promise<WireReply[]> {
    const out: WireReply[] = [];
    for (let i = 0; i < count; i++) out.push(await this.reply());
    return out;
  }

  /** Resolves true when the server closes the connection within `timeoutMs`. */
  async closedByServer(timeoutMs = 10_000): Promise<boolean> {
    try {
      while (true) await this.#fill(timeoutMs);
    } catch (error) {
      return error instanceof ConnectionClosed;
    }
  }

  /** Upgrades to TLS after a `220` to STARTTLS, trusting `caPem`. */
  async startTls(caPem: string): Promise<void> {
    this.#conn = await Deno.startTls(this.#conn as Deno.TcpConn, {
      hostname: "localhost",
      caCerts: [caPem],
    });
  }

  /** Closes the connection (idempotent). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // already closed by the peer
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }

  async #line(timeoutMs: number): Promise<string> {
    while (true) {
      const end = this.#buffer.indexOf("\r\n");
      if (end >= 0) {
        const line = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        return line;
      }
      await this.#fill(timeoutMs);
    }
  }

  async #fill(timeoutMs: number): Promise<void> {
    const chunk = new Uint8Array(16384);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("Timed out waiting for a reply")), timeoutMs);
    });
    try {
      const n = await Promise.race([this.#conn.read(chunk), timeout]);
      if (n === null) throw new ConnectionClosed(`Connection closed; unparsed: ${this.#buffer}`);
      this.#buffer += decoder.decode(chunk.subarray(0, n));
    } catch (error) {
      if (error instanceof Deno.errors.ConnectionReset) throw new ConnectionClosed("reset");
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The server closed the connection. */
export class ConnectionClosed extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConnectionClosed";
  }
}

/** Sends one complete message over an open session and returns the DATA reply. */
export async function sendMessage(
  client: TestSmtpClient,
  envelope: { from: string; to: string[]; body: string },
): Promise<WireReply> {
  await client.command(`MAIL FROM:<${envelope.from}>`);
  for (const to of envelope.to) await client.command(`RCPT TO:<${to}>`);
  const data = await client.command("DATA");
  if (data.code !== 354) return data;
  await client.write(envelope.body + "\r\n.\r\n");
  return await client.reply();
}
