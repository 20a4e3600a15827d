/**
 * The session setup after EHLO as pure decisions: STARTTLS per policy, then
 * AUTH (RFC 4954) over TLS only.
 *
 * @module
 */
import type { Reply } from "./reply.ts";
import { authCommand, base64 } from "./client_commands.ts";
import type { AuthStep, Phase } from "./client_phase.ts";
import type {
  ClientCredentials,
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
