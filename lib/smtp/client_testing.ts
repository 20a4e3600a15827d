/**
 * Test support for the client session: scripted server replies and a tiny
 * in-memory driver. Not part of `mod.ts`.
 *
 * @module
 */
import { ClientSession } from "./client_session.ts";
import type { ClientResult, ClientSessionOptions, TransactionRequest } from "./client_types.ts";

/** A scripted conversation: what the server says and what the client must send. */
export interface ClientScript {
  /** Server bytes, one entry per TLS segment. */
  readonly server: readonly Uint8Array[];
  /** The client's expected output; `--- TLS ---` marks the handshake, `<body>` the body. */
  readonly expected: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Parses `S: line` (server), `C: line` (client) and `--- TLS ---` lines.
 *
 * @example
 * ```ts
 * import { parseClientScript } from "./client_testing.ts";
 * parseClientScript("S: 220 mx\nC: EHLO me").expected; // "EHLO me\r\n"
 * ```
 */
export function parseClientScript(text: string): ClientScript {
  const server: string[] = [""];
  let expected = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    if (line === "--- TLS ---") {
      server.push("");
      expected += "--- TLS ---\n";
    } else if (line.startsWith("S:")) server[server.length - 1] += `${line.slice(3)}\r\n`;
    else if (line.startsWith("C:")) expected += `${line.slice(3)}\r\n`;
    else throw new SyntaxError(`Cannot parse script line "${line}"`);
  }
  return { server: server.map((segment) => encoder.encode(segment)), expected };
}

/** What a scripted run produced. */
export interface ClientRun {
  /** Everything the client sent, in the script's notation. */
  readonly sent: string;
  /** Every `done` result, in order. */
  readonly results: ClientResult[];
}

/**
 * Drives a session against scripted server bytes: each segment is fed in
 * the given pieces (split at `split` when given), requests are delivered one
 * after another when the session is idle, then it quits.
 *
 * @example
 * ```ts
 * import { parseClientScript, runClientSession } from "./client_testing.ts";
 * const script = parseClientScript("S: 421 busy");
 * runClientSession({ heloName: "me" }, script, []).results[0].kind; // "try-next-host"
 * ```
 */
export function runClientSession(
  options: ClientSessionOptions,
  script: ClientScript,
  requests: readonly TransactionRequest[],
  split?: number,
): ClientRun {
  const session = new ClientSession(options);
  const pieces = script.server.map((bytes) =>
    split === undefined || split <= 0 || split >= bytes.length
      ? [bytes]
      : [bytes.subarray(0, split), bytes.subarray(split)]
  );
  let segment = 0;
  let piece = 0;
  let sent = "";
  const results: ClientResult[] = [];
  const pending = [...requests];
  let quitting = false;
  for (let steps = 0; steps < 10_000; steps++) {
    const action = session.nextAction();
    switch (action.type) {
      case "send":
        sent += decoder.decode(action.bytes);
        break;
      case "need-data": {
        const bytes = pieces[segment]?.[piece++];
        if (bytes === undefined) session.connectionLost("end of script");
        else session.receive(bytes);
        break;
      }
      case "start-tls":
        segment++;
        piece = 0;
        sent += "--- TLS ---\n";
        session.tlsEstablished({ version: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384" });
        break;
      case "send-body":
        sent += "<body>\r\n";
        session.bodySent();
        break;
      case "done":
        results.push(action.result);
        break;
      case "idle": {
        const request = pending.shift();
        if (request !== undefined) session.deliver(request);
        else if (!quitting) {
          quitting = true;
          session.quit();
        }
        break;
      }
      case "closed":
        return { sent, results };
    }
  }
  throw new Error("The client session did not finish");
}
