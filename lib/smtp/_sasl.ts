/** The server side of SASL PLAIN (RFC 4616) and LOGIN for SMTP AUTH (RFC 4954), private to lib/smtp. */
import { authAborted, authChallenge, authUndecodable } from "./replies.ts";
import type { Reply } from "./reply.ts";

/** The SASL mechanisms the server offers. */
export type SaslMechanism = "PLAIN" | "LOGIN";

/** Credentials a client presented, to be checked by the caller. */
export interface Credentials {
  readonly mechanism: SaslMechanism;
  readonly authzid?: string;
  readonly username: string;
  readonly password: string;
}

/** Where a SASL exchange stands while waiting for the client's next line. */
export type SaslExchange =
  | { readonly mechanism: "PLAIN" }
  | { readonly mechanism: "LOGIN"; readonly stage: "username" }
  | { readonly mechanism: "LOGIN"; readonly stage: "password"; readonly username: string };

/** The result of one step: another challenge, credentials, or failure. */
export type SaslStep =
  | { readonly kind: "challenge"; readonly reply: Reply; readonly exchange: SaslExchange }
  | { readonly kind: "credentials"; readonly credentials: Credentials }
  | { readonly kind: "failed"; readonly reply: Reply };

const BASE64_REGEXP = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const USERNAME_CHALLENGE = "VXNlcm5hbWU6"; // "Username:"
const PASSWORD_CHALLENGE = "UGFzc3dvcmQ6"; // "Password:"
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/** Strict base64 → UTF-8; undefined when malformed. RFC 4954 §4: `=` is an empty response. */
function decodeResponse(text: string): string | undefined {
  if (text === "=") return "";
  if (!BASE64_REGEXP.test(text)) return undefined;
  const binary = atob(text);
  const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

const UNDECODABLE: SaslStep = { kind: "failed", reply: authUndecodable() };

/** RFC 4616 §2: `[authzid] NUL authcid NUL passwd`. */
function plainCredentials(message: string | undefined): SaslStep {
  const parts = message?.split("\0");
  if (parts === undefined || parts.length !== 3 || parts[1] === "" || parts[2] === "") {
    return UNDECODABLE;
  }
  const [authzid, username, password] = parts;
  const credentials: Credentials = authzid === ""
    ? { mechanism: "PLAIN", username, password }
    : { mechanism: "PLAIN", authzid, username, password };
  return { kind: "credentials", credentials };
}

function loginPassword(username: string): SaslStep {
  return {
    kind: "challenge",
    reply: authChallenge(PASSWORD_CHALLENGE),
    exchange: { mechanism: "LOGIN", stage: "password", username },
  };
}

/** Starts an exchange after `AUTH <mechanism> [initial-response]`. */
export function startSasl(mechanism: SaslMechanism, initialResponse?: string): SaslStep {
  if (mechanism === "PLAIN") {
    if (initialResponse !== undefined) return plainCredentials(decodeResponse(initialResponse));
    return { kind: "challenge", reply: authChallenge(""), exchange: { mechanism } };
  }
  if (initialResponse === undefined) {
    return {
      kind: "challenge",
      reply: authChallenge(USERNAME_CHALLENGE),
      exchange: { mechanism, stage: "username" },
    };
  }
  const username = decodeResponse(initialResponse);
  return username === undefined ? UNDECODABLE : loginPassword(username);
}

/** Continues an exchange with the client's response line; `*` cancels it. */
export function continueSasl(exchange: SaslExchange, line: string): SaslStep {
  if (line === "*") return { kind: "failed", reply: authAborted() };
  const response = decodeResponse(line);
  if (exchange.mechanism === "PLAIN") return plainCredentials(response);
  if (response === undefined) return UNDECODABLE;
  if (exchange.stage === "username") return loginPassword(response);
  return {
    kind: "credentials",
    credentials: { mechanism: "LOGIN", username: exchange.username, password: response },
  };
}
