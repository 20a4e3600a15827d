/**
 * The answers a hook may give, their helper constructors for hook authors, and their
 * validation: a malformed answer is an error of the hook (`451 4.3.0` to the client), never
 * something sent as is.
 *
 * @module
 */
import type { Reply } from "../smtp/mod.ts";
import type {
  AcceptVerdict,
  HeaderAdditions,
  HookPhase,
  HookResult,
  PriorityChange,
  RefuseVerdict,
} from "./types.ts";

/** A hook answered something that is not a valid verdict for its hook point. */
export class HookReplyError extends TypeError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "HookReplyError";
  }
}

/** RFC 3463 §2: `class.subject.detail`, subject and detail of 1 to 3 digits. */
const ENHANCED_REGEXP = /^([245])\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;
/** One line of printable ASCII (tabs allowed): no CR, no LF, nothing a reply could be split at. */
const TEXT_REGEXP = /^[\x20-\x7e\t]+$/;
/** RFC 5322 §3.6.8: a field name is printable ASCII except the colon. */
const FIELD_NAME_REGEXP = /^[\x21-\x39\x3b-\x7e]+$/;
/** A field body on one line: printable ASCII and white space, no CR or LF. */
const FIELD_VALUE_REGEXP = /^[\x20-\x7e\t]*$/;
/** Longest reply text accepted from a hook. */
const MAX_TEXT_LENGTH = 400;
/** RFC 5322 §2.1.1: a line is at most 998 characters, CRLF excluded. */
const MAX_FIELD_LINE = 998;
/** Most octets of header fields the hooks of one message may add (they are stored in its record). */
export const MAX_ADDED_HEADER_BYTES = 4096;

/**
 * Accepts the command: the later hooks of this point do not run. Empath's own checks
 * (relay policy, limits, authentication) come first, so a hook cannot accept what they
 * refused.
 *
 * @example Usage
 * ```ts
 * import { accept } from "./verdicts.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(accept(), { action: "accept" });
 * ```
 */
export function accept(): AcceptVerdict {
  return { action: "accept" };
}

/**
 * Refuses the command for good: `550 5.7.1 <text>` by default, or the given 5xx code and
 * enhanced code. At `onConnect` the greeting becomes `554` (RFC 5321 §3.1).
 *
 * @throws {HookReplyError} If the code is not 500–559, the enhanced code is not `5.x.y`, or
 * the text is not one line of printable ASCII.
 *
 * @example Usage
 * ```ts
 * import { reject } from "./verdicts.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(reject("Not here"), { action: "reject", code: 550, enhanced: "5.7.1", text: "Not here" });
 * assert.equal(reject(554, "5.7.1", "Blocked").code, 554);
 * ```
 */
export function reject(text: string): RefuseVerdict;
export function reject(code: number, enhanced: string | undefined, text: string): RefuseVerdict;
export function reject(
  codeOrText: number | string,
  enhanced?: string,
  text?: string,
): RefuseVerdict {
  const verdict = typeof codeOrText === "string"
    ? { action: "reject", code: 550, enhanced: "5.7.1", text: codeOrText } as const
    : { action: "reject", code: codeOrText, enhanced, text: text ?? "" } as const;
  checkRefusal(verdict);
  return verdict;
}

/**
 * Refuses the command for now, so the client retries: `451 4.7.1 <text>` by default, or the
 * given 4xx code and enhanced code (`421` also closes the connection).
 *
 * @throws {HookReplyError} If the code is not 400–459, the enhanced code is not `4.x.y`, or
 * the text is not one line of printable ASCII.
 *
 * @example Usage
 * ```ts
 * import { defer } from "./verdicts.ts";
 * import assert from "node:assert/strict";
 * assert.equal(defer("Greylisted, try again later").code, 451);
 * assert.equal(defer(450, "4.2.0", "Mailbox busy").enhanced, "4.2.0");
 * ```
 */
export function defer(text: string): RefuseVerdict;
export function defer(code: number, enhanced: string | undefined, text: string): RefuseVerdict;
export function defer(
  codeOrText: number | string,
  enhanced?: string,
  text?: string,
): RefuseVerdict {
  const verdict = typeof codeOrText === "string"
    ? { action: "defer", code: 451, enhanced: "4.7.1", text: codeOrText } as const
    : { action: "defer", code: codeOrText, enhanced, text: text ?? "" } as const;
  checkRefusal(verdict);
  return verdict;
}

/**
 * `onData` only: adds header fields on top of the stored message (above Empath's
 * `Received:` field and any `DKIM-Signature:`, so they are not covered by the signature).
 *
 * @throws {HookReplyError} If a name or value is not a valid one-line header field.
 *
 * @example Usage
 * ```ts
 * import { addHeaders } from "./verdicts.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(addHeaders(["X-Spam-Score", "1.0"]), { addHeaders: [["X-Spam-Score", "1.0"]] });
 * ```
 */
export function addHeaders(...fields: (readonly [string, string])[]): HeaderAdditions {
  const additions = { addHeaders: fields };
  headerText(additions);
  return additions;
}

/** A checked hook answer: what the runner does with it. */
export type CheckedResult =
  | { readonly kind: "continue" }
  | { readonly kind: "accept" }
  | { readonly kind: "refuse"; readonly reply: Reply }
  | { readonly kind: "headers"; readonly text: string }
  | { readonly kind: "priority"; readonly priority: number };

/**
 * `onData` only: sets the message's priority (0 to 9, higher is delivered first), over the
 * injection API's and the `X-Priority` header's. A later hook may set it again.
 *
 * @example Usage
 * ```ts
 * import { setPriority } from "./verdicts.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(setPriority(9), { priority: 9 });
 * ```
 */
export function setPriority(priority: number): PriorityChange {
  return { priority };
}

/**
 * Checks what a hook returned at `phase`.
 *
 * @throws {HookReplyError} If it is not a verdict valid there.
 */
export function checkResult(phase: HookPhase, result: HookResult): CheckedResult {
  if (result === undefined || result === null) return { kind: "continue" };
  if (typeof result !== "object") {
    throw new HookReplyError(`Cannot use ${describe(result)} as a hook result`);
  }
  if ("priority" in result) {
    if (phase !== "onData") {
      throw new HookReplyError(`Cannot set the priority at ${phase}: only onData can`);
    }
    const { priority } = result as PriorityChange;
    if (!Number.isInteger(priority) || priority < 0 || priority > 9) {
      throw new HookReplyError(
        `Cannot set the priority to ${describe(priority)}: expected an integer from 0 to 9`,
      );
    }
    return { kind: "priority", priority };
  }
  if ("addHeaders" in result) {
    if (phase !== "onData") {
      throw new HookReplyError(`Cannot add header fields at ${phase}: only onData can`);
    }
    return { kind: "headers", text: headerText(result) };
  }
  const action = (result as { action?: unknown }).action;
  if (action === "accept") return { kind: "accept" };
  if (action === "reject" || action === "defer") {
    const verdict = result as RefuseVerdict;
    checkRefusal(verdict);
    const reply: Reply = verdict.enhanced === undefined
      ? { code: verdict.code, lines: [verdict.text] }
      : { code: verdict.code, enhanced: verdict.enhanced, lines: [verdict.text] };
    return { kind: "refuse", reply };
  }
  throw new HookReplyError(
    `Cannot use ${describe(result)} as a hook result: expected accept(), reject(), defer()` +
      (phase === "onData" ? ", addHeaders(), setPriority()" : "") + " or undefined",
  );
}

function checkRefusal(verdict: RefuseVerdict): void {
  const [low, high, digit] = verdict.action === "reject" ? [500, 559, "5"] : [400, 459, "4"];
  const { code, enhanced, text } = verdict;
  // RFC 5321 §4.2: the second digit of a reply code is 0 to 5.
  const isCode = Number.isInteger(code) && code >= low && code <= high && code % 100 < 60;
  if (!isCode) {
    throw new HookReplyError(
      `Cannot ${verdict.action} with code ${describe(code)}: expected ${low} to ${high}`,
    );
  }
  if (enhanced !== undefined) {
    const match = typeof enhanced === "string" ? ENHANCED_REGEXP.exec(enhanced) : null;
    if (match === null || match[1] !== digit) {
      throw new HookReplyError(
        `Cannot ${verdict.action} with enhanced code ${
          describe(enhanced)
        }: expected "${digit}.x.y"`,
      );
    }
  }
  if (typeof text !== "string" || !TEXT_REGEXP.test(text) || text.length > MAX_TEXT_LENGTH) {
    throw new HookReplyError(
      `Cannot ${verdict.action} with text ${describe(text)}: ` +
        `expected one line of printable ASCII, at most ${MAX_TEXT_LENGTH} characters`,
    );
  }
}

/** The added fields as header lines, each ended by CRLF. */
function headerText(additions: HeaderAdditions): string {
  const fields = additions.addHeaders;
  if (!Array.isArray(fields)) {
    throw new HookReplyError(`Cannot add header fields ${describe(fields)}: expected an array`);
  }
  let text = "";
  for (const field of fields) {
    const [name, value] = Array.isArray(field) ? field : [];
    const isField = typeof name === "string" && FIELD_NAME_REGEXP.test(name) &&
      typeof value === "string" && FIELD_VALUE_REGEXP.test(value) &&
      name.length + 2 + value.length <= MAX_FIELD_LINE;
    if (!isField) {
      throw new HookReplyError(
        `Cannot add header field ${describe(field)}: expected ["Name", "value"] in printable ` +
          `ASCII on one line of at most ${MAX_FIELD_LINE} characters`,
      );
    }
    text += `${name}: ${value.trim()}\r\n`;
  }
  if (text.length > MAX_ADDED_HEADER_BYTES) {
    throw new HookReplyError(
      `Cannot add ${text.length} octets of header fields: at most ${MAX_ADDED_HEADER_BYTES}`,
    );
  }
  return text;
}

function describe(value: unknown): string {
  let shown: string;
  try {
    shown = JSON.stringify(value) ?? String(value);
  } catch {
    shown = Object.prototype.toString.call(value);
  }
  return shown.length > 80 ? `${shown.slice(0, 77)}...` : shown;
}
