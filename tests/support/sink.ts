/**
 * Real receiving peers for delivery tests: Postfix `smtp-sink`, a python
 * aiosmtpd server (tests/support/aiosmtpd_peer.py) and tiny scripted TCP
 * peers (a fixed greeting, or silence). Each waits until its port accepts
 * connections and is disposed with `await using`.
 */
import { closeAll, freePort } from "./net.ts";
import { debianPython, which } from "./peers.ts";

/** A running receiving peer. */
export interface ReceivingPeer<M> extends AsyncDisposable {
  readonly host: string;
  readonly port: number;
  /** The messages received so far. */
  messages(): Promise<M[]>;
}

/** A message as smtp-sink dumped it (LF line endings, its own headers first). */
export interface SinkMessage {
  /** The whole dump file. */
  readonly raw: string;
  /** `X-Mail-Args`, `X-Rcpt-Args`… headers smtp-sink added. */
  readonly envelope: string[];
  /** The message as received, LF line endings, after smtp-sink's headers. */
  readonly body: string;
}

/** A message as the aiosmtpd peer saved it. */
export interface AiosmtpdMessage {
  readonly mailFrom: string;
  readonly mailOptions: string[];
  readonly rcptTos: string[];
  readonly tls: boolean;
  /** The exact bytes received (dot-unstuffed, CRLF). */
  readonly data: Uint8Array;
}

/** Options of {@link startAiosmtpd}. */
export interface AiosmtpdOptions {
  /** Replies for given recipients, e.g. `{ "x@example.test": "550 5.1.1 No such user" }`. */
  replies?: Record<string, string>;
  /** `451 4.3.0` for the first N attempts of the given recipients. */
  tempfail?: Record<string, number>;
  /** Offer STARTTLS with this certificate and key (PEM files). */
  tls?: { cert: string; key: string; require?: boolean };
  /** Advertise SMTPUTF8. @default {false} */
  smtputf8?: boolean;
  /** Listen on this port (e.g. one a test configured before the peer was up). @default {a free port} */
  port?: number;
}

const HOST = "127.0.0.1";
const PEER_SCRIPT = new URL("./aiosmtpd_peer.py", import.meta.url).pathname;

/** Resolves once `port` accepts TCP connections; rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    try {
      (await Deno.connect({ hostname: HOST, port })).close();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`Port ${port} is not accepting`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Starts Postfix `smtp-sink` dumping each message to a file. */
export async function startSmtpSink(): Promise<ReceivingPeer<SinkMessage>> {
  const dir = await Deno.makeTempDir({ prefix: "empath-sink-" });
  await Deno.chmod(dir, 0o777);
  const port = freePort();
  const args = ["-d", `${dir}/m.`, `${HOST}:${port}`, "100"];
  if (Deno.uid() === 0) args.unshift("-u", "nobody");
  const child = new Deno.Command(which("smtp-sink") ?? "smtp-sink", {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  return await peer(child, port, dir, async () => {
    const messages: SinkMessage[] = [];
    for (const name of await sortedFiles(dir)) {
      messages.push(parseSinkDump(await Deno.readTextFile(`${dir}/${name}`)));
    }
    return messages;
  });
}

/** Starts the aiosmtpd peer (tests/support/aiosmtpd_peer.py). */
export async function startAiosmtpd(
  options: AiosmtpdOptions = {},
): Promise<ReceivingPeer<AiosmtpdMessage>> {
  const dir = await Deno.makeTempDir({ prefix: "empath-aiosmtpd-" });
  const port = options.port ?? freePort();
  const config = {
    host: HOST,
    port,
    dir,
    replies: options.replies ?? {},
    tempfail: options.tempfail ?? {},
    cert: options.tls?.cert,
    key: options.tls?.key,
    require_starttls: options.tls?.require ?? false,
    smtputf8: options.smtputf8 ?? false,
  };
  const child = new Deno.Command(debianPython(), {
    args: [PEER_SCRIPT, JSON.stringify(config)],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  return await peer(child, port, dir, async () => {
    const messages: AiosmtpdMessage[] = [];
    for (const name of await sortedFiles(dir)) {
      if (!name.endsWith(".json")) continue;
      const record = JSON.parse(await Deno.readTextFile(`${dir}/${name}`));
      const data = Uint8Array.from(atob(record.data), (char) => char.charCodeAt(0));
      messages.push({ ...record, data });
    }
    return messages;
  });
}

/**
 * A TCP peer that writes `greeting` (if any) to each connection and then
 * stays silent, for 4xx greetings and stalled servers.
 */
export function startScriptedPeer(greeting?: string): ReceivingPeer<never> {
  const listener = Deno.listen({ hostname: HOST, port: 0 });
  const conns = new Set<Deno.Conn>();
  const accepting = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      if (greeting !== undefined) {
        conn.write(new TextEncoder().encode(greeting)).catch(() => {});
      }
    }
  })().catch(() => {});
  return {
    host: HOST,
    port: listener.addr.port,
    messages: () => Promise.resolve([]),
    async [Symbol.asyncDispose]() {
      listener.close();
      closeAll(conns);
      await accepting;
    },
  };
}

async function peer<M>(
  child: Deno.ChildProcess,
  port: number,
  dir: string,
  messages: () => Promise<M[]>,
): Promise<ReceivingPeer<M>> {
  const dispose = async () => {
    try {
      child.kill("SIGKILL");
    } catch {
      // already exited
    }
    await child.status;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    await waitForPort(port);
  } catch (error) {
    await dispose();
    throw error;
  }
  return { host: HOST, port, messages, [Symbol.asyncDispose]: dispose };
}

async function sortedFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) if (entry.isFile) names.push(entry.name);
  return names.sort();
}

/** Splits a smtp-sink dump into its own headers and the message. */
export function parseSinkDump(raw: string): SinkMessage {
  const lines = raw.split("\n");
  const envelope: string[] = [];
  let index = 0;
  while (index < lines.length && lines[index].startsWith("X-")) envelope.push(lines[index++]);
  if (lines[index]?.startsWith("Received:")) {
    index++;
    while (index < lines.length && /^[ \t]/.test(lines[index])) index++;
  }
  return { raw, envelope, body: lines.slice(index).join("\n") };
}
