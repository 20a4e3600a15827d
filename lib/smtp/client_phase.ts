/**
 * The phases of the client session and which reply each waits for.
 *
 * @module
 */
import type { Reply } from "./reply.ts";
import type { ReplyWait } from "./client_types.ts";
import type { ClientTransaction } from "./client_transaction.ts";

/** Where an AUTH exchange is (RFC 4954): PLAIN with an initial response, or LOGIN's steps. */
export type AuthStep = "plain" | "login" | "login-user" | "login-password";

/** Where the session is; each phase that waits for a reply names it. */
export type Phase =
  | { readonly name: "greeting" }
  | { readonly name: "hello"; readonly verb: "EHLO" | "LHLO" | "HELO" }
  | { readonly name: "starttls" }
  | { readonly name: "handshake" }
  | { readonly name: "auth"; readonly step: AuthStep }
  | { readonly name: "idle" }
  | { readonly name: "mail"; readonly tx: ClientTransaction }
  | { readonly name: "rcpt"; readonly tx: ClientTransaction }
  | { readonly name: "data"; readonly tx: ClientTransaction }
  | { readonly name: "body"; readonly tx: ClientTransaction }
  | { readonly name: "final"; readonly tx: ClientTransaction }
  | { readonly name: "flush"; readonly tx: ClientTransaction }
  | { readonly name: "rset"; readonly tx?: ClientTransaction }
  | { readonly name: "quit" }
  | { readonly name: "closed" };

/** The name of a client session phase. */
export type ClientPhase = Phase["name"];

const WAITS: Partial<Record<ClientPhase, ReplyWait>> = {
  greeting: "greeting",
  hello: "command",
  starttls: "command",
  auth: "command",
  mail: "mail",
  rcpt: "rcpt",
  data: "data-init",
  final: "data-end",
  flush: "data-end",
  rset: "command",
  quit: "command",
};

/**
 * The reply a phase waits for, or undefined when it waits for the driver.
 *
 * @param phase The phase name.
 * @returns The kind of reply awaited.
 *
 * @example
 * ```ts
 * import { replyWait } from "./client_phase.ts";
 * replyWait("data"); // "data-init"
 * ```
 */
export function replyWait(phase: ClientPhase): ReplyWait | undefined {
  return WAITS[phase];
}

/**
 * A reply as one line of text, for failure reasons.
 *
 * @param reply The reply.
 * @returns `code enhanced text / text`.
 *
 * @example
 * ```ts
 * import { describeReply } from "./client_phase.ts";
 * describeReply({ code: 550, enhanced: "5.1.1", lines: ["No", "user"] }); // "550 5.1.1 No / user"
 * ```
 */
export function describeReply(reply: Reply): string {
  const enhanced = reply.enhanced === undefined ? "" : ` ${reply.enhanced}`;
  return `${reply.code}${enhanced} ${reply.lines.join(" / ")}`.trimEnd();
}

/** Exhaustiveness check for switches over phases. */
export function unreachable(value: never): never {
  throw new TypeError(`Unexpected phase "${JSON.stringify(value)}"`);
}
