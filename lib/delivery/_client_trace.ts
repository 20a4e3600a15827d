/**
 * Spans of the SMTP client, private to lib/delivery: `smtp.connect` (TCP connect, greeting,
 * EHLO, STARTTLS, AUTH), `tls.handshake` inside it, and `smtp.client.transaction` (MAIL to the
 * last reply) on a new or pooled connection. Each is a child of the active context, the
 * `delivery.attempt` span.
 */
import {
  ATTR,
  type Attributes,
  failSpan,
  inSpan,
  redactAddresses,
  SpanKind,
  tlsAttributes,
} from "../observe/mod.ts";
import type { ClientResult, ClientTlsInfo, SessionFailure } from "../smtp/mod.ts";
import type { NextHop } from "./route.ts";

/** OpenTelemetry `server.*` and `network.peer.*` attributes of a next hop. */
function hopAttributes(hop: NextHop): Attributes {
  if (hop.path !== undefined) {
    return { "server.address": hop.path, "network.transport": "unix" };
  }
  return {
    "server.address": hop.name,
    "server.port": hop.port,
    "network.peer.address": hop.address,
    "network.peer.port": hop.port,
  };
}

function failWith(failure: SessionFailure): string {
  const reply = failure.reply;
  return redactAddresses(
    reply === undefined
      ? `${failure.kind}: ${failure.reason}`
      : `${failure.kind}: ${reply.code} ${reply.lines.join(" ")}`,
  );
}

/**
 * Runs `open` (connect and set up the session) inside an `smtp.connect` span.
 *
 * @param hop Where to.
 * @param open Opens the connection; failures are values.
 * @returns What `open` resolves to.
 */
export function traceConnect<T extends { kind: string } | SessionFailure>(
  hop: NextHop,
  open: () => Promise<T>,
): Promise<T> {
  return inSpan(
    "smtp.connect",
    { kind: SpanKind.CLIENT, attributes: hopAttributes(hop) },
    async (span) => {
      const opened = await open();
      if (opened.kind !== "connected" && span.isRecording()) {
        const failure = opened as SessionFailure;
        if (failure.reply !== undefined) {
          span.setAttribute(ATTR.SMTP_REPLY_CODE, failure.reply.code);
        }
        failSpan(span, failWith(failure));
      }
      return opened;
    },
  );
}

/**
 * Runs a STARTTLS handshake inside a `tls.handshake` span with the negotiated
 * `tls.protocol.version` and `tls.cipher`.
 *
 * @param servername The name the certificate is checked against (SNI).
 * @param handshake The handshake; a throw fails the span and is rethrown.
 * @returns The negotiated parameters.
 */
export function traceTlsHandshake(
  servername: string,
  handshake: () => Promise<ClientTlsInfo>,
): Promise<ClientTlsInfo> {
  return inSpan("tls.handshake", { attributes: { "server.address": servername } }, async (span) => {
    const info = await handshake();
    if (span.isRecording()) span.setAttributes(tlsAttributes(info));
    return info;
  });
}

/**
 * Runs one transaction inside an `smtp.client.transaction` span: the reply code of the last
 * reply, a `smtp.recipient.rejected` event for each refused recipient, an error status when
 * the session failed or no recipient was accepted.
 *
 * @param hop Where to.
 * @param reused Whether the connection came from the pool.
 * @param deliver The transaction.
 * @returns The transaction's result.
 */
export function traceTransaction(
  hop: NextHop,
  reused: boolean,
  deliver: () => Promise<ClientResult>,
): Promise<ClientResult> {
  const attributes = { ...hopAttributes(hop), "empath.connection.reused": reused };
  return inSpan("smtp.client.transaction", { kind: SpanKind.CLIENT, attributes }, async (span) => {
    const result = await deliver();
    if (!span.isRecording()) return result;
    if (result.kind !== "transaction") {
      if (result.reply !== undefined) span.setAttribute(ATTR.SMTP_REPLY_CODE, result.reply.code);
      failSpan(span, failWith(result));
      return result;
    }
    if (result.tls !== undefined) span.setAttributes(tlsAttributes(result.tls));
    let accepted = 0;
    for (const { reply } of result.recipients) {
      if (reply.code < 300) accepted++;
      else {
        const event: Attributes = { [ATTR.SMTP_REPLY_CODE]: reply.code };
        if (reply.enhanced !== undefined) event[ATTR.SMTP_ENHANCED_CODE] = reply.enhanced;
        span.addEvent("smtp.recipient.rejected", event);
      }
    }
    // Accepted recipients share the reply to the end of data (LMTP: their own).
    const last = result.recipients.find(({ reply }) => reply.code < 300)?.reply ??
      result.recipients.at(-1)?.reply;
    if (last !== undefined) span.setAttribute(ATTR.SMTP_REPLY_CODE, last.code);
    span.setAttribute("empath.recipients.accepted", accepted);
    if (accepted === 0 && last !== undefined) {
      failSpan(span, redactAddresses(`${last.code} ${last.lines.join(" ")}`));
    }
    return result;
  });
}
