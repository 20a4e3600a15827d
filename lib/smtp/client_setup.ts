/**
 * The session setup as pure decisions: the replies to the greeting, EHLO/HELO/LHLO, STARTTLS and
 * AUTH, and what follows a successful EHLO: STARTTLS per policy, then AUTH (RFC 4954) over TLS
 * only.
 *
 * @module
 */
import type { Reply } from "./reply.ts";
import { authCommand, base64 } from "./client_commands.ts";
import { NO_CAPABILITIES, parseCapabilities } from "./client_capabilities.ts";
import { isPositive } from "./client_transaction.ts";
import { type AuthStep, describeReply, type Phase } from "./client_phase.ts";
import type {
  ClientCredentials,
  ClientSessionOptions,
  ServerCapabilities,
  SessionFailureKind,
  TlsPolicy,
} from "./client_types.ts";

/** What the session does after a successful EHLO/HELO/LHLO. */
export type SetupStep =
  | { readonly kind: "send"; readonly line: string; readonly phase: Phase }
  | { readonly kind: "idle"; readonly phase: Phase }
  | { readonly kind: "fail"; readonly failure: SessionFailureKind; readonly reason: string };

/** The facts {@link setupStep} decides on. */
export interface SetupFacts {
  /** The STARTTLS policy. */
  readonly policy: TlsPolicy;
  /** Whether TLS is already active. */
  readonly tls: boolean;
  /** Whether the server refused STARTTLS (opportunistic TLS then goes on in plaintext). */
  readonly tlsRefused: boolean;
  /** The server's extensions. */
  readonly caps: ServerCapabilities;
  /** Credentials, when the session must authenticate. */
  readonly auth?: ClientCredentials;
}

/**
 * Decides the next setup step: STARTTLS when offered and allowed,
 * `tls-unavailable` when required but not offered (or when credentials would
 * go out in plaintext), AUTH PLAIN/LOGIN when credentials are given, else idle.
 *
 * @param facts Policy, TLS state, extensions and credentials.
 * @returns The step.
 *
 * @example
 * ```ts
 * import { setupStep } from "./client_setup.ts";
 * import { NO_CAPABILITIES } from "./client_capabilities.ts";
 * const facts = { policy: "required" as const, tls: false, tlsRefused: false, caps: NO_CAPABILITIES };
 * setupStep(facts).kind; // "fail"
 * ```
 */
export function setupStep(facts: SetupFacts): SetupStep {
  if (!facts.tls && facts.policy !== "disabled") {
    if (facts.caps.starttls && !facts.tlsRefused) {
      return { kind: "send", line: "STARTTLS", phase: { name: "starttls" } };
    }
    if (facts.policy === "required") {
      return {
        kind: "fail",
        failure: "tls-unavailable",
        reason: "The server does not offer STARTTLS",
      };
    }
  }
  if (facts.auth === undefined) return { kind: "idle", phase: { name: "idle" } };
  if (!facts.tls) {
    return {
      kind: "fail",
      failure: "tls-unavailable",
      reason: "Credentials are only sent over TLS",
    };
  }
  const command = authCommand(facts.auth, facts.caps.auth);
  if (command === undefined) {
    const offered = facts.caps.auth.join(" ") || "none";
    const reason = `No supported AUTH mechanism (offered: ${offered})`;
    return { kind: "fail", failure: "try-next-host", reason };
  }
  const step = command.mechanism === "PLAIN" ? "plain" : "login";
  return { kind: "send", line: command.line, phase: { name: "auth", step } };
}

/** What an AUTH reply leads to. */
export type AuthNext =
  | { readonly outcome: "continue"; readonly step: AuthStep; readonly send: string }
  | { readonly outcome: "authenticated" | "failed"; readonly send?: string };

/**
 * The next step of an AUTH PLAIN or LOGIN exchange (RFC 4954 §4).
 *
 * @param reply The server's reply.
 * @param step Where the exchange is.
 * @param credentials The credentials.
 * @returns What to send and whether the exchange goes on, succeeded or failed.
 *
 * @example
 * ```ts
 * import { authTransition } from "./client_setup.ts";
 * const next = authTransition({ code: 334, lines: ["VXNlcm5hbWU6"] }, "login", { username: "u", password: "p" });
 * next.send; // "dQ=="
 * ```
 */
export function authTransition(
  reply: Reply,
  step: AuthStep,
  credentials: ClientCredentials,
): AuthNext {
  if (reply.code === 235 && (step === "plain" || step === "login-password")) {
    return { outcome: "authenticated" };
  }
  if (reply.code === 334 && step === "login") {
    return { outcome: "continue", step: "login-user", send: base64(credentials.username) };
  }
  if (reply.code === 334 && step === "login-user") {
    return { outcome: "continue", step: "login-password", send: base64(credentials.password) };
  }
  // RFC 4954 §4: "*" cancels an exchange the client cannot continue.
  return reply.code === 334 ? { outcome: "failed", send: "*" } : { outcome: "failed" };
}

/** The verbs that open an SMTP or LMTP session. */
export type HelloVerb = "EHLO" | "LHLO" | "HELO";

/** The phases of the session setup that wait for a reply. */
export type SetupPhase = Extract<Phase, { name: "greeting" | "hello" | "starttls" | "auth" }>;

/** What the session knows when a setup reply arrives. */
export interface SetupState {
  /** The session's options: HELO name, TLS policy, LMTP mode and credentials. */
  readonly options: ClientSessionOptions;
  /** Whether TLS is already active. */
  readonly tls: boolean;
  /** Whether the server refused STARTTLS earlier. */
  readonly tlsRefused: boolean;
  /** The server's extensions as known so far. */
  readonly caps: ServerCapabilities;
}

/** Changes to the session that come with a setup reply, applied in this order. */
interface SetupEffects {
  /** The server's extensions, when an EHLO/HELO/LHLO reply was accepted. */
  readonly caps?: ServerCapabilities;
  /** The server refused STARTTLS: opportunistic TLS goes on in plaintext. */
  readonly tlsRefused?: true;
  /** RFC 3207 §4.2 (CVE-2011-0411): drop anything received before TLS. */
  readonly discardBuffered?: true;
  /** A command line to write (on its own) before going on or failing. */
  readonly send?: string;
}

/** What a setup reply leads to: the next phase, or a failure that ends the session with QUIT. */
export type SetupReplyStep =
  | SetupEffects & { readonly kind: "continue"; readonly phase: Phase }
  | SetupEffects & {
    readonly kind: "fail";
    readonly failure: SessionFailureKind;
    readonly reason: string;
    readonly reply?: Reply;
  };

/**
 * Says hello: EHLO (LHLO for LMTP) unless `verb` says otherwise.
 *
 * @param options The HELO name and LMTP mode.
 * @param verb The verb. @default {"EHLO" or "LHLO"}
 * @returns The step that sends it and waits for the reply.
 *
 * @example
 * ```ts
 * import { helloStep } from "./client_setup.ts";
 * helloStep({ heloName: "client.example" }).send; // "EHLO client.example"
 * ```
 */
export function helloStep(
  options: Pick<ClientSessionOptions, "heloName" | "lmtp">,
  verb: HelloVerb = options.lmtp ? "LHLO" : "EHLO",
): SetupReplyStep {
  return { kind: "continue", send: `${verb} ${options.heloName}`, phase: { name: "hello", verb } };
}

/**
 * Decides what a reply to the greeting, EHLO/HELO/LHLO, STARTTLS or AUTH leads to. A 421 is not
 * its concern: the session handles it in every phase.
 *
 * @param reply The server's reply.
 * @param phase The setup phase that waited for it.
 * @param state The options and what the session knows.
 * @returns The effects and the next phase, or the failure.
 *
 * @example
 * ```ts
 * import { setupReplyStep } from "./client_setup.ts";
 * import { NO_CAPABILITIES } from "./client_capabilities.ts";
 * const state = { options: { heloName: "c.example" }, tls: false, tlsRefused: false, caps: NO_CAPABILITIES };
 * setupReplyStep({ code: 220, lines: ["mx.example ESMTP"] }, { name: "greeting" }, state).send; // "EHLO c.example"
 * ```
 */
export function setupReplyStep(reply: Reply, phase: SetupPhase, state: SetupState): SetupReplyStep {
  switch (phase.name) {
    case "greeting":
      return afterGreeting(reply, state);
    case "hello":
      return afterHelloReply(reply, phase.verb, state);
    case "starttls":
      return afterStartTls(reply, state);
    case "auth":
      return afterAuth(reply, phase.step, state.options.auth!);
  }
}

function afterGreeting(reply: Reply, state: SetupState): SetupReplyStep {
  if (reply.code === 220) return helloStep(state.options);
  if (reply.code >= 400) {
    return failure("try-next-host", `Greeting refused: ${describeReply(reply)}`, reply);
  }
  return failure("protocol-error", `Unexpected greeting: ${describeReply(reply)}`, reply);
}

function afterHelloReply(reply: Reply, verb: HelloVerb, state: SetupState): SetupReplyStep {
  if (isPositive(reply)) {
    const caps = verb === "HELO" ? NO_CAPABILITIES : parseCapabilities(reply);
    return { ...afterHello({ ...state, caps }), caps };
  }
  // RFC 5321 §3.2: a server that does not know EHLO answers 5xx; fall back to HELO.
  if (verb === "EHLO" && reply.code >= 500) return helloStep(state.options, "HELO");
  return failure("try-next-host", `${verb} refused: ${describeReply(reply)}`, reply);
}

function afterStartTls(reply: Reply, state: SetupState): SetupReplyStep {
  if (reply.code === 220) {
    return { kind: "continue", discardBuffered: true, phase: { name: "handshake" } };
  }
  if (state.options.tls === "required") {
    return failure("tls-unavailable", `STARTTLS refused: ${describeReply(reply)}`, reply);
  }
  return { ...afterHello({ ...state, tlsRefused: true }), tlsRefused: true };
}

function afterAuth(reply: Reply, step: AuthStep, credentials: ClientCredentials): SetupReplyStep {
  const next = authTransition(reply, step, credentials);
  const send = next.send === undefined ? {} : { send: next.send };
  if (next.outcome === "authenticated") {
    return { kind: "continue", ...send, phase: { name: "idle" } };
  }
  if (next.outcome === "continue") {
    return { kind: "continue", ...send, phase: { name: "auth", step: next.step } };
  }
  return {
    ...failure("try-next-host", `Authentication failed: ${describeReply(reply)}`, reply),
    ...send,
  };
}

/** The step after a successful EHLO/HELO/LHLO, or after opportunistic STARTTLS was refused. */
function afterHello(state: SetupState): SetupReplyStep {
  const step = setupStep({
    policy: state.options.tls ?? "opportunistic",
    tls: state.tls,
    tlsRefused: state.tlsRefused,
    caps: state.caps,
    auth: state.options.auth,
  });
  if (step.kind === "fail") return { kind: "fail", failure: step.failure, reason: step.reason };
  return step.kind === "send"
    ? { kind: "continue", send: step.line, phase: step.phase }
    : { kind: "continue", phase: step.phase };
}

function failure(kind: SessionFailureKind, reason: string, reply: Reply): SetupReplyStep {
  return { kind: "fail", failure: kind, reason, reply };
}
