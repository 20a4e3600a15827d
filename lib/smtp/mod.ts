/**
 * The SMTP protocol without I/O: command and address parsing, replies and
 * enhanced status codes, the server session state machine (RFC 5321 with
 * PIPELINING, SIZE, 8BITMIME, SMTPUTF8, ENHANCEDSTATUSCODES, CHUNKING, DSN,
 * STARTTLS and AUTH PLAIN/LOGIN), DATA/BDAT decoding, the `Received:` header,
 * the header field collector and the byte helpers every layer shares
 * (`concatBytes`, binary strings); and the client side for delivery: the
 * `ClientSession` state machine (SMTP and LMTP), the `ReplyParser` and the
 * streaming `DotStuffer`. Nothing here touches sockets, clocks or storage; the
 * connection driver in `lib/server` feeds bytes in and writes bytes out.
 *
 * @example
 * ```ts
 * import { ServerSession } from "./mod.ts";
 * const session = new ServerSession({ hostname: "mx.example.test" });
 * session.receive(new TextEncoder().encode("EHLO client.example\r\n"));
 * session.nextEvent().type; // "send"
 * ```
 *
 * @module
 */
export * from "./address.ts";
export * from "./bytes.ts";
export * from "./client_capabilities.ts";
export * from "./client_session.ts";
export * from "./client_types.ts";
export * from "./command.ts";
export * from "./data_decoder.ts";
export * from "./dot_stuffer.ts";
export * from "./header_fields.ts";
export * from "./line_buffer.ts";
export * from "./message_date.ts";
export * from "./params.ts";
export * from "./received.ts";
export * from "./replies.ts";
export * from "./reply.ts";
export * from "./reply_parser.ts";
export * from "./session.ts";
export * from "./session_event.ts";
export * from "./xtext.ts";
