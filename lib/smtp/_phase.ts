/**
 * The phases of the server session, their constants and the pure rules that
 * enter the body phases (DATA, BDAT); private to lib/smtp.
 */
import { DataDecoder } from "./data_decoder.ts";
import type { Reply } from "./reply.ts";
import type { SessionEvent } from "./session_event.ts";
import type { SaslExchange } from "./_sasl.ts";
import type { SessionLimits } from "./_session_events.ts";
import type { Decision, SessionState, Transition } from "./_state.ts";

/** How a BDAT chunk ends: passed on, or discarded and answered with `reply`. */
export type ChunkDisposal =
  | { readonly kind: "emit" }
  | {
    readonly kind: "refuse";
    readonly reply: Reply;
    readonly aborted: boolean;
    readonly counts: boolean;
  };

/** What the session is doing, with the data each phase needs. */
export type Phase =
  | { readonly name: "command" }
  | { readonly name: "data"; readonly decoder: DataDecoder }
  | ChunkPhase
  | { readonly name: "auth"; readonly exchange: SaslExchange }
  | { readonly name: "starttls" }
  | { readonly name: "closed" };

/** Reading one BDAT chunk (RFC 3030 §2): `remaining` of its `size` octets are still to come. */
export interface ChunkPhase {
  readonly name: "bdat";
  readonly size: number;
  readonly last: boolean;
  readonly remaining: number;
  readonly disposal: ChunkDisposal;
}

/** What a BDAT command leads to: a decision for the driver, or its chunk to read (in `state`). */
export type ChunkStart =
  | { readonly kind: "decide"; readonly decision: Decision }
  | { readonly kind: "read"; readonly phase: ChunkPhase; readonly state?: SessionState };

export const NEED_DATA: SessionEvent = { type: "need-data" };
export const COMMAND: Phase = { name: "command" };
export const CLOSED: Phase = { name: "closed" };
export const EMIT: ChunkDisposal = { kind: "emit" };

function chunkPhase(size: number, last: boolean, disposal: ChunkDisposal): ChunkPhase {
  return { name: "bdat", size, last, remaining: size, disposal };
}

/**
 * The phase after the driver answered a `data-start` or `bdat-start` decision
 * with `reply`: an accepted DATA reads the message; a BDAT chunk is read either
 * way, and a refused one is discarded, then answered without counting as an
 * error. Undefined for the other decisions, which keep the phase.
 */
export function bodyPhase(
  decision: Decision,
  reply: Reply,
  limits: SessionLimits,
): Phase | undefined {
  const accepted = reply.code < 400;
  if (decision.kind === "data-start" && accepted) {
    const { maxMessageSize, maxLineLength } = limits;
    return { name: "data", decoder: new DataDecoder({ maxMessageSize, maxLineLength }) };
  }
  if (decision.kind !== "bdat-start") return undefined;
  const disposal: ChunkDisposal = accepted
    ? EMIT
    : { kind: "refuse", reply, aborted: false, counts: false };
  return chunkPhase(decision.size, decision.last, disposal);
}

/**
 * What a BDAT command leads to before its chunk is read: the first chunk of a
 * transaction asks the driver; further ones are passed on; a chunk the
 * transition refused is discarded, then answered (counted as an error unless
 * it aborted a body already passed on).
 */
export function startChunk(outcome: Extract<Transition, { kind: "bdat" }>): ChunkStart {
  const { size, last, verdict } = outcome;
  switch (verdict.kind) {
    case "decide":
      return { kind: "decide", decision: { kind: "bdat-start", size, last } };
    case "continue":
      return { kind: "read", phase: chunkPhase(size, last, EMIT) };
    case "refuse": {
      const { reply, aborted } = verdict;
      const disposal: ChunkDisposal = { kind: "refuse", reply, aborted, counts: !aborted };
      return { kind: "read", phase: chunkPhase(size, last, disposal), state: verdict.state };
    }
  }
}
