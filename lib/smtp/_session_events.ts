/**
 * Conversions around the server session, private to lib/smtp: option
 * defaults, wire lines to text, and decisions to events.
 */
import { type Command, parseCommand, type ParseCommandOptions } from "./command.ts";
import type { LineResult } from "./line_buffer.ts";
import { bareLineEnding, invalidCommandEncoding, lineTooLong } from "./replies.ts";
import { SmtpSyntaxError } from "./reply.ts";
import type { SessionEvent, SessionOptions } from "./session_event.ts";
import { continueSasl, type SaslExchange, type SaslStep } from "./_sasl.ts";
import type { Decision, TransitionConfig } from "./_state.ts";

const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/** Session options with every default applied. */
export interface SessionLimits extends TransitionConfig {
  readonly maxLineLength: number;
  readonly maxCommandLength: number;
  readonly maxErrors: number;
  readonly maxCommands: number;
  readonly greeting: string;
}

/** Applies the documented defaults to session options. */
export function resolveOptions(options: SessionOptions): SessionLimits {
  return {
    hostname: options.hostname,
    maxMessageSize: options.maxMessageSize ?? 35_000_000,
    maxRecipients: options.maxRecipients ?? 100,
    maxLineLength: options.maxLineLength ?? 1000,
    // RFC 3461 §5: DSN parameters lengthen MAIL and RCPT lines by up to 500 characters.
    maxCommandLength: (options.maxCommandLength ?? 512) + (options.dsn ? 500 : 0),
    maxErrors: options.maxErrors ?? 10,
    maxCommands: options.maxCommands ?? 1000,
    starttls: options.starttls ?? false,
    auth: options.auth ?? "disabled",
    decideHelo: options.decideHelo ?? false,
    dsn: options.dsn ?? false,
    greeting: options.greeting ?? "ESMTP Empath",
  };
}

/**
 * Decodes and parses a complete command line.
 *
 * @returns The command, or the syntax error (carrying the reply to send) for a
 * refused, undecodable or unparsable line.
 */
export function readCommand(
  line: LineResult,
  options: ParseCommandOptions,
): Command | SmtpSyntaxError {
  try {
    return parseCommand(decodeLine(line), options);
  } catch (error) {
    if (error instanceof SmtpSyntaxError) return error;
    throw error;
  }
}

/** Decodes a complete command line; refused lines become the matching syntax error. */
function decodeLine(line: LineResult): string {
  switch (line.kind) {
    case "too-long":
      throw new SmtpSyntaxError("Cannot parse command: line too long", lineTooLong());
    case "bare-line-ending":
      throw new SmtpSyntaxError("Cannot parse command: bare CR or LF", bareLineEnding());
    case "line":
      try {
        return utf8Decoder.decode(line.bytes);
      } catch (cause) {
        throw new SmtpSyntaxError("Cannot parse command: invalid UTF-8", invalidCommandEncoding(), {
          cause,
        });
      }
  }
}

/** Continues a SASL exchange with a response line; refused lines fail the exchange. */
export function continueSaslLine(exchange: SaslExchange, line: LineResult): SaslStep {
  if (line.kind !== "line") {
    return { kind: "failed", reply: line.kind === "too-long" ? lineTooLong() : bareLineEnding() };
  }
  let text: string;
  try {
    text = utf8Decoder.decode(line.bytes);
  } catch {
    text = "\0"; // not base64: answered as undecodable
  }
  return continueSasl(exchange, text);
}

/** The event that asks the driver for a decision. */
export function decisionEvent(decision: Decision): SessionEvent {
  switch (decision.kind) {
    case "helo":
      return { type: "helo", ...decision.helo };
    case "mail":
      return { type: "mail", reversePath: decision.reversePath, params: decision.params };
    case "rcpt":
      return { type: "rcpt", forwardPath: decision.forwardPath, params: decision.params };
    case "data-start":
      return { type: "data-start", mode: "data" };
    case "bdat-start":
      return { type: "data-start", mode: "bdat" };
    case "data-end":
      return { type: "data-end" };
    case "auth":
      return { type: "auth", ...decision.credentials };
  }
}
