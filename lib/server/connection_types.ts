import type tls from "node:tls";
import type { PriorityConfig } from "../config/mod.ts";
import type { EnvelopeInit, QueueStore } from "../queue/mod.ts";
import type { MessageSigning } from "../dkim/mod.ts";
import type { HookRegistry } from "../hooks/mod.ts";
import type { SessionOptions } from "../smtp/mod.ts";
import type { SmtpMetrics, TracingOptions } from "../observe/mod.ts";
import type { RelayPolicy } from "./policy.ts";
import type { TlsSessionInfo } from "./tls.ts";
import type { Authenticator } from "./auth.ts";
import type { SessionTimeouts } from "./timers.ts";

/** The services a connection uses; built once per listener by the composition root. */
export interface ConnectionServices {
  readonly queue: Pick<QueueStore, "createSpool">;
  readonly policy: RelayPolicy;
  readonly authenticator: Authenticator;
  readonly tlsContext?: tls.SecureContext;
  readonly now: () => number;
  /** Called after a message is committed (wakes delivery, publishes the event). */
  readonly onQueued?: (queued: QueuedInfo) => void;
  /** Where connections, transactions, messages, replies and TLS handshakes are counted. */
  readonly metrics?: SmtpMetrics;
  /** What spans may record (`[observe.tracing]`). @default {{ includeAddresses: false }} */
  readonly tracing?: TracingOptions;
  /** DKIM signing of submitted mail (`RelayPolicy.isSubmitter`); absent: nothing is signed. */
  readonly dkim?: MessageSigning;
  /** The policy hooks in force (read at each hook point); absent: none. */
  readonly hooks?: HookRegistry;
}

/** A message just committed, as {@linkcode ConnectionServices.onQueued} sees it. */
export interface QueuedInfo {
  readonly id: string;
  /** The number of recipients. */
  readonly recipients: number;
  /** The envelope as committed. */
  readonly envelope: EnvelopeInit;
  /** Message bytes received from the client (without the `Received:` header added here). */
  readonly size: number;
}

/** Per-listener settings of a connection, as plain data. */
export interface ConnectionSettings {
  readonly listener: string;
  readonly hostname: string;
  readonly session: SessionOptions;
  readonly timeouts: SessionTimeouts;
  /** `[priority]`; absent: every message gets the queue's default priority. */
  readonly priority?: PriorityConfig;
}

/** What the control plane shows about one open connection. */
export interface ConnectionSnapshot {
  readonly id: number;
  readonly listener: string;
  readonly peer: string;
  readonly since: number;
  readonly phase: string;
  readonly tls?: TlsSessionInfo;
  readonly authenticatedUser?: string;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly messages: number;
}
