/** The phases of the server session and their constants, private to lib/smtp. */
import type { DataDecoder } from "./data_decoder.ts";
import type { Reply } from "./reply.ts";
import type { SessionEvent } from "./session_event.ts";
import type { SaslExchange } from "./_sasl.ts";

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
  | {
    readonly name: "bdat";
    readonly size: number;
    readonly last: boolean;
    readonly remaining: number;
    readonly disposal: ChunkDisposal;
  }
  | { readonly name: "auth"; readonly exchange: SaslExchange }
  | { readonly name: "starttls" }
  | { readonly name: "closed" };

export const NEED_DATA: SessionEvent = { type: "need-data" };
export const COMMAND: Phase = { name: "command" };
export const CLOSED: Phase = { name: "closed" };
export const EMIT: ChunkDisposal = { kind: "emit" };
