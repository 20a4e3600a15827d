/**
 * Test support for code built on the server session: a scripted-dialogue
 * parser and a driver with a tiny fake policy. Not part of `mod.ts`.
 *
 * @module
 */
import type { Reply } from "./reply.ts";
import { queued } from "./replies.ts";
import { ServerSession } from "./session.ts";
import type { SessionEvent, SessionOptions } from "./session_event.ts";

/** A dialogue: client input per TLS segment and the expected server output. */
export interface Transcript {
  /** Client bytes; a new segment starts after each `--- TLS ---` marker. */
  readonly segments: readonly Uint8Array[];
  /** Everything the server is expected to write, greeting included. */
  readonly expected: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const ESCAPE_REGEXP = /\\(r|n|\\|x[0-9a-f]{2})/g;

function unescape(text: string): string {
  return text.replace(ESCAPE_REGEXP, (_, code: string) => {
    if (code === "r") return "\r";
    if (code === "n") return "\n";
    if (code === "\\") return "\\";
    return String.fromCharCode(parseInt(code.slice(1), 16));
  });
}

/**
 * Parses a dialogue written as `C: line` (client line, CRLF added), `C+ text`
 * (raw client bytes, `\r`, `\n`, `\xNN` escapes, no CRLF added), `S: line`
 * (server line) and `--- TLS ---` (the TLS upgrade).
 *
 * @example
 * ```ts
 * import { parseTranscript } from "./testing.ts";
 * const transcript = parseTranscript("S: 220 mx ESMTP\nC: QUIT\nS: 221 Bye");
 * transcript.expected; // "220 mx ESMTP\r\n221 Bye\r\n"
 * ```
 */
export function parseTranscript(text: string): Transcript {
  const segments: string[] = [""];
  let expected = "";
  for (const raw of text.split("\n")) {
    const line = raw.replace(/^\s+/, "");
    if (line === "") continue;
    if (line === "--- TLS ---") segments.push("");
    else if (line.startsWith("C:")) segments[segments.length - 1] += `${line.slice(3)}\r\n`;
    else if (line.startsWith("C+ ")) segments[segments.length - 1] += unescape(line.slice(3));
    else if (line.startsWith("S:")) expected += `${line.slice(3)}\r\n`;
    else throw new SyntaxError(`Cannot parse transcript line "${line}"`);
  }
  return { segments: segments.map((segment) => encoder.encode(segment)), expected };
}

/**
 * The server's EHLO reply in transcript form for `mx.example.test` with `SIZE 1000`: the
 * extensions every session offers, then `extra` (STARTTLS, AUTH …, DSN) in the order given.
 *
 * @example Usage
 * ```ts
 * import { ehloTranscript } from "./testing.ts";
 * ehloTranscript(["DSN"]).trim().split("\n").at(-1); // "S: 250 DSN"
 * ```
 */
export function ehloTranscript(extra: readonly string[]): string {
  const keywords = [
    "PIPELINING",
    "SIZE 1000",
    "8BITMIME",
    "SMTPUTF8",
    "ENHANCEDSTATUSCODES",
    "CHUNKING",
    ...extra,
  ];
  const lines = ["mx.example.test", ...keywords].map((keyword, index, all) =>
    `S: 250${index === all.length - 1 ? " " : "-"}${keyword}`
  );
  return `\n${lines.join("\n")}`;
}

/**
 * The fake policy: accepts everything except recipients whose local part is
 * `reject` (550) or `busy` (451); queues messages as `Q1`, `Q2`, …; accepts
 * AUTH for `alice` / `secret` only.
 */
export class FakePolicy {
  /** Bodies of the messages queued, in order. */
  readonly messages: string[] = [];
  #body: Uint8Array[] = [];

  /** Answers one decision event; records data chunks. */
  answer(event: SessionEvent): Reply | undefined {
    switch (event.type) {
      case "mail":
        return { code: 250, enhanced: "2.1.0", lines: ["Ok"] };
      case "rcpt":
        return this.#recipient(
          event.forwardPath.kind === "mailbox" ? event.forwardPath.localPart : "",
        );
      case "data-start":
        this.#body = [];
        return event.mode === "data"
          ? { code: 354, lines: ["Go ahead"] }
          : { code: 250, lines: [] };
      case "data-chunk":
        this.#body.push(event.bytes.slice());
        return undefined;
      case "data-end":
        this.messages.push(this.#body.map((bytes) => decoder.decode(bytes)).join(""));
        return queued(`Q${this.messages.length}`);
      case "auth":
        return event.username === "alice" && event.password === "secret"
          ? { code: 235, enhanced: "2.7.0", lines: ["Authentication successful"] }
          : { code: 535, enhanced: "5.7.8", lines: ["Authentication credentials invalid"] };
      default:
        return undefined;
    }
  }

  #recipient(localPart: string): Reply {
    if (localPart === "reject") return { code: 550, enhanced: "5.1.1", lines: ["No such user"] };
    if (localPart === "busy") return { code: 451, enhanced: "4.3.0", lines: ["Try later"] };
    return { code: 250, enhanced: "2.1.5", lines: ["Ok"] };
  }
}

/** What a scripted run produced. */
export interface SessionRun {
  /** Everything the session wrote, as text. */
  readonly output: string;
  /** Bodies of the messages queued. */
  readonly messages: readonly string[];
  /** Types of all events, in order, `need-data` excluded. */
  readonly events: readonly string[];
}

/**
 * Drives a session like the connection driver would: feeds each chunk,
 * drains events, answers decisions with {@link FakePolicy}, and completes the
 * TLS upgrade between segments.
 *
 * @param options Session options.
 * @param segments Chunks to feed, per TLS segment.
 * @returns The output, the messages and the events.
 *
 * @example
 * ```ts
 * import { runSession } from "./testing.ts";
 * const run = runSession({ hostname: "mx" }, [[new TextEncoder().encode("QUIT\r\n")]]);
 * run.output; // "220 mx ESMTP Empath\r\n221 Bye\r\n"
 * ```
 */
export function runSession(options: SessionOptions, segments: readonly Uint8Array[][]): SessionRun {
  const session = new ServerSession(options);
  const policy = new FakePolicy();
  const events: string[] = [];
  let output = decoder.decode(session.greeting());
  for (const [index, chunks] of segments.entries()) {
    if (index > 0 && session.phase === "starttls") session.tlsEstablished();
    for (const chunk of chunks) {
      session.receive(chunk);
      output += drain(session, policy, events);
    }
  }
  return { output, messages: policy.messages, events };
}

function drain(session: ServerSession, policy: FakePolicy, events: string[]): string {
  let output = "";
  for (let event = session.nextEvent(); event.type !== "need-data"; event = session.nextEvent()) {
    events.push(event.type);
    const answer = policy.answer(event);
    if (event.type === "send" || event.type === "data-aborted") {
      output += decoder.decode(event.bytes);
    } else if (answer !== undefined) output += decoder.decode(session.respond(answer));
  }
  return output;
}
