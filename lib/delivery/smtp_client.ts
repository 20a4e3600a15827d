/**
 * The SMTP/LMTP client driver: one TCP connection to one host (or one Unix
 * socket, for local LMTP), driven by the sans-I/O {@link ClientSession} from
 * `lib/smtp`.
 *
 * @module
 */
import {
  type ClientCredentials,
  type ClientResult,
  ClientSession,
  type ClientTlsInfo,
  DotStuffer,
  type ReplyWait,
  type ServerCapabilities,
  type SessionFailure,
  type TlsPolicy,
  type TransactionRequest,
} from "../smtp/mod.ts";
import { ClientSocket, connectTcp, connectUnix } from "./_client_socket.ts";
import { ClientDeadline, describeError } from "./_client_deadline.ts";
import { traceTlsHandshake } from "./_client_trace.ts";

/** Timeouts in milliseconds (RFC 5321 §4.5.3.2). */
export interface SmtpClientTimeouts {
  /** Opening the TCP connection. @default {30000} */
  readonly connect: number;
  /** The 220 greeting. @default {300000} */
  readonly greeting: number;
  /** Replies to other commands (EHLO, STARTTLS, AUTH, MAIL, RCPT, RSET, QUIT), and the TLS handshake. @default {300000} */
  readonly command: number;
  /** The 354 reply to DATA. @default {120000} */
  readonly dataInit: number;
  /** Writing each block of the body. @default {180000} */
  readonly dataBlock: number;
  /** The reply to the final dot. @default {600000} */
  readonly dataEnd: number;
}

/** RFC 5321 §4.5.3.2 defaults. */
export const DEFAULT_SMTP_CLIENT_TIMEOUTS: SmtpClientTimeouts = Object.freeze({
  connect: 30_000,
  greeting: 300_000,
  command: 300_000,
  dataInit: 120_000,
  dataBlock: 180_000,
  dataEnd: 600_000,
});

/** Options of {@link openSmtpConnection}. */
export interface SmtpClientOptions {
  /** The IP literal to connect to; with {@link unixPath}, only a name for messages. */
  readonly host: string;
  /** The TCP port; ignored with {@link unixPath}. */
  readonly port: number;
  /**
   * Connect to this Unix socket instead of `host` and `port` (a local LMTP
   * server). TLS is never run over it: `opportunistic` acts as `disabled`, and
   * `required` fails the session.
   */
  readonly unixPath?: string;
  /** The name the certificate must match (the MX host name); defaults to `host`. */
  readonly servername?: string;
  /** The name sent with EHLO/HELO/LHLO. */
  readonly heloName: string;
  /** The STARTTLS policy. */
  readonly tls: TlsPolicy;
  /** Whether the server certificate must verify (chain and name). */
  readonly verifyCertificates: boolean;
  /** PEM CA certificates to trust instead of the system store. */
  readonly caCerts?: readonly string[];
  /** Credentials for AUTH PLAIN/LOGIN, sent only over TLS. */
  readonly auth?: ClientCredentials;
  /** Speak LMTP (RFC 2033) instead of SMTP. @default {false} */
  readonly lmtp?: boolean;
  /** Timeouts; missing ones use {@link DEFAULT_SMTP_CLIENT_TIMEOUTS}. */
  readonly timeouts?: Partial<SmtpClientTimeouts>;
  /** Aborting closes the connection; the pending call returns `connection-failed`. */
  readonly signal?: AbortSignal;
}

/** One message to deliver over an open connection. */
export interface SmtpDeliveryRequest extends TransactionRequest {
  /** The message, with any line endings: it is dot-stuffed and CRLF-normalised as it streams. */
  readonly body: ReadableStream<Uint8Array>;
}

/**
 * An open, greeted (and possibly TLS-protected, authenticated) connection, or why there is none;
 * a failure after the TCP connection opened carries its local address.
 */
export type OpenSmtpResult =
  | { readonly kind: "connected"; readonly connection: SmtpClientConnection }
  | SessionFailure & { readonly localAddress?: string };

/**
 * Connects to a host and runs the session setup: greeting, EHLO (HELO),
 * STARTTLS per policy, AUTH. Failures are values, never exceptions.
 *
 * @param options Where to connect and how.
 * @returns The connection, ready for {@link SmtpClientConnection.deliver}, or the failure.
 *
 * @example
 * ```ts ignore
 * const opened = await openSmtpConnection({
 *   host: "192.0.2.10", port: 25, servername: "mx.example.org", heloName: "mta.example.test",
 *   tls: "opportunistic", verifyCertificates: false,
 * });
 * if (opened.kind === "connected") {
 *   await using connection = opened.connection;
 *   const result = await connection.deliver({
 *     reversePath: "a@example.test", recipients: ["b@example.org"], size: 5,
 *     needsSmtputf8: false, eightBit: false, body: ReadableStream.from([new TextEncoder().encode("Hi\r\n")]),
 *   });
 * }
 * ```
 */
export async function openSmtpConnection(options: SmtpClientOptions): Promise<OpenSmtpResult> {
  const timeouts = { ...DEFAULT_SMTP_CLIENT_TIMEOUTS, ...options.timeouts };
  const { unixPath } = options;
  let conn: Deno.TcpConn | Deno.UnixConn;
  try {
    conn = unixPath === undefined
      ? await connectTcp({ ...options, timeoutMs: timeouts.connect })
      : await connectUnix({ path: unixPath, signal: options.signal, timeoutMs: timeouts.connect });
  } catch (error) {
    const where = unixPath === undefined
      ? `${options.host} port ${options.port}`
      : `Unix socket "${unixPath}"`;
    return {
      kind: "connection-failed",
      reason: `Cannot connect to ${where}: ${describeError(error)}`,
    };
  }
  const connection = new SmtpClientConnection(new ClientSocket(conn), options);
  const outcome = await connection.run();
  if (outcome === "idle") return { kind: "connected", connection };
  const { localAddress } = connection;
  await connection.close();
  const failure = outcome === "closed"
    ? { kind: "connection-failed" as const, reason: "The connection closed during setup" }
    : outcome as SessionFailure;
  return { ...failure, localAddress };
}

/**
 * An SMTP connection to one host that can carry several transactions, one at
 * a time. Made by {@link openSmtpConnection}.
 */
export class SmtpClientConnection implements AsyncDisposable {
  readonly #socket: ClientSocket;
  readonly #session: ClientSession;
  readonly #options: SmtpClientOptions;
  readonly #timeouts: SmtpClientTimeouts;
  readonly #deadline: ClientDeadline;
  #body: ReadableStream<Uint8Array> | undefined;
  #busy = false;

  /**
   * Wraps a connected socket; use {@link openSmtpConnection} instead.
   *
   * @param socket The connected socket.
   * @param options The connection options.
   */
  constructor(socket: ClientSocket, options: SmtpClientOptions) {
    this.#socket = socket;
    this.#options = options;
    this.#timeouts = { ...DEFAULT_SMTP_CLIENT_TIMEOUTS, ...options.timeouts };
    const isUnix = options.unixPath !== undefined;
    this.#session = new ClientSession({
      heloName: options.heloName,
      // No STARTTLS over a local socket; ClientSocket refuses it, so "required" fails.
      tls: isUnix && options.tls === "opportunistic" ? "disabled" : options.tls,
      lmtp: options.lmtp,
      auth: options.auth,
    });
    this.#deadline = new ClientDeadline(() => void socket.close(), options.signal);
  }

  /** The TLS parameters, once STARTTLS succeeded. */
  get tls(): ClientTlsInfo | undefined {
    return this.#session.tls;
  }

  /** The local IP address of the connection; none over a Unix socket. */
  get localAddress(): string | undefined {
    return this.#socket.localAddress;
  }

  /** The server's extensions from the last EHLO/LHLO. */
  get capabilities(): ServerCapabilities {
    return this.#session.capabilities;
  }

  /** Whether the connection can take another transaction. */
  get usable(): boolean {
    return !this.#busy && this.#session.phase === "idle" && !this.#socket.closed;
  }

  /**
   * Sends one message (MAIL, RCPT…, DATA, body) and returns a reply per
   * recipient, or the failure of the session (the connection is then closed).
   *
   * @param request Envelope, size, encoding needs and the body stream.
   * @returns The result.
   */
  async deliver(request: SmtpDeliveryRequest): Promise<ClientResult> {
    if (!this.usable) {
      await request.body.cancel().catch(() => {});
      return { kind: "connection-failed", reason: "The connection is not usable" };
    }
    this.#busy = true;
    this.#body = request.body;
    try {
      this.#session.deliver(request);
      const outcome = await this.run();
      if (typeof outcome !== "string") return outcome;
      return { kind: "connection-failed", reason: "The session ended without a result" };
    } finally {
      this.#busy = false;
      if (this.#body !== undefined) await this.#body.cancel().catch(() => {});
      this.#body = undefined;
      if (this.#session.phase === "closed") await this.close();
    }
  }

  /**
   * Sends RSET, e.g. before reusing a pooled connection.
   *
   * @returns Whether the connection is still usable.
   */
  async reset(): Promise<boolean> {
    if (!this.usable) return false;
    this.#busy = true;
    try {
      this.#session.reset();
      await this.run();
    } finally {
      this.#busy = false;
    }
    if (this.#session.phase !== "idle") await this.close();
    return this.usable;
  }

  /** Sends QUIT, waits for the reply (bounded by the command timeout) and closes. */
  async quit(): Promise<void> {
    if (this.usable) {
      this.#session.quit();
      await this.run();
    }
    await this.close();
  }

  /** Closes the connection at once. */
  async close(): Promise<void> {
    this.#deadline.dispose();
    await this.#socket.close();
  }

  /** Sends QUIT and closes. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.quit();
  }

  /**
   * Performs the session's actions until it is idle, closed or has a result.
   * Internal: used by {@link openSmtpConnection}.
   *
   * @returns `"idle"`, `"closed"`, or the result.
   */
  async run(): Promise<ClientResult | "idle" | "closed"> {
    const session = this.#session;
    while (true) {
      const action = session.nextAction();
      switch (action.type) {
        case "send":
          await this.#step(this.#timeouts.command, "sending a command", async () => {
            await this.#socket.write(action.bytes);
          });
          break;
        case "need-data":
          await this.#receive(action.wait);
          break;
        case "start-tls":
          await this.#startTls();
          break;
        case "send-body":
          if (await this.#sendBody()) session.bodySent();
          break;
        case "done":
          return action.result;
        case "idle":
        case "closed":
          return action.type;
      }
    }
  }

  async #receive(wait: ReplyWait): Promise<void> {
    await this.#step(this.#timeoutFor(wait), `waiting for the ${wait} reply`, async () => {
      const bytes = await this.#socket.read();
      if (bytes !== null) this.#session.receive(bytes);
      else if (!this.#deadline.expired) this.#session.connectionLost(this.#lostReason(wait));
    });
  }

  async #startTls(): Promise<void> {
    const servername = this.#options.servername ?? this.#options.host;
    const what = "the TLS handshake";
    try {
      const info = await traceTlsHandshake(servername, () =>
        this.#deadline.run(
          this.#timeouts.command,
          what,
          () =>
            this.#socket.startTls({
              servername,
              verifyCertificates: this.#options.verifyCertificates,
              caCerts: this.#options.caCerts,
            }),
        ));
      this.#session.tlsEstablished(info);
    } catch (error) {
      await this.#socket.close();
      this.#session.tlsFailed(describeError(error));
    }
  }

  /** Streams the body with backpressure; false when the session was failed instead. */
  async #sendBody(): Promise<boolean> {
    const body = this.#body;
    if (body === undefined) throw new TypeError("Cannot send a body: none was given");
    this.#body = undefined;
    const stuffer = new DotStuffer();
    const reader = body.getReader();
    try {
      while (true) {
        let next: ReadableStreamReadResult<Uint8Array>;
        try {
          next = await reader.read();
        } catch (error) {
          // Never send the end marker of a body that could not be read whole.
          return await this.#lose(`Cannot read the message body: ${describeError(error)}`);
        }
        const bytes = next.done ? stuffer.finish() : stuffer.stuff(next.value);
        const ok = await this.#step(this.#timeouts.dataBlock, "sending the body", async () => {
          if (bytes.length > 0) await this.#socket.write(bytes);
        });
        if (!ok) return false;
        if (next.done) return true;
      }
    } finally {
      await reader.cancel().catch(() => {});
    }
  }

  /** Runs one I/O step under a deadline; a failure is reported to the session. */
  async #step(timeoutMs: number, what: string, step: () => Promise<void>): Promise<boolean> {
    try {
      await this.#deadline.run(timeoutMs, what, step);
      return true;
    } catch (error) {
      return await this.#lose(describeError(error));
    }
  }

  async #lose(reason: string): Promise<false> {
    await this.#socket.close();
    this.#session.connectionLost(reason);
    return false;
  }

  #lostReason(wait: ReplyWait): string {
    return `Connection closed by ${this.#options.host} while waiting for the ${wait} reply`;
  }

  #timeoutFor(wait: ReplyWait): number {
    switch (wait) {
      case "greeting":
        return this.#timeouts.greeting;
      case "data-init":
        return this.#timeouts.dataInit;
      case "data-end":
        return this.#timeouts.dataEnd;
      case "command":
      case "mail":
      case "rcpt":
        return this.#timeouts.command;
    }
  }
}
