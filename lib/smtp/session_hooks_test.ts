import assert from "node:assert/strict";
import { ServerSession } from "./session.ts";
import type { SessionEvent } from "./session_event.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const text = (bytes: Uint8Array) => decoder.decode(bytes);

function sent(event: SessionEvent): string {
  assert.equal(event.type, "send");
  return event.type === "send" ? text(event.bytes) : "";
}

Deno.test("ServerSession with decideHelo asks about EHLO and writes its own reply when accepted", () => {
  const session = new ServerSession({ hostname: "mx.example.test", decideHelo: true });
  session.receive(encoder.encode("EHLO client.example\r\n"));
  const event = session.nextEvent();
  assert.deepEqual(event, { type: "helo", verb: "EHLO", domain: "client.example" });
  const reply = text(session.respond({ code: 250, lines: ["Ok"] }));
  assert.match(reply, /^250-mx\.example\.test\r\n250-PIPELINING\r\n[^]*250 CHUNKING\r\n$/);
  assert.deepEqual(session.helo, { verb: "EHLO", domain: "client.example" });
});

Deno.test("ServerSession with decideHelo leaves the state unchanged when EHLO is refused", () => {
  const session = new ServerSession({ hostname: "mx.example.test", decideHelo: true });
  session.receive(encoder.encode("HELO bad.example\r\nMAIL FROM:<a@example.org>\r\n"));
  assert.equal(session.nextEvent().type, "helo");
  const reply = text(session.respond({ code: 550, enhanced: "5.7.1", lines: ["Go away"] }));
  assert.equal(reply, "550 Go away\r\n");
  assert.equal(session.helo, undefined);
  assert.match(sent(session.nextEvent()), /^503 /, "MAIL still needs a greeting");
});

Deno.test("ServerSession.refuseGreeting() with 554 answers 503 until QUIT (RFC 5321 §3.1)", () => {
  const session = new ServerSession({ hostname: "mx.example.test" });
  const greeting = session.refuseGreeting({
    code: 554,
    enhanced: "5.7.1",
    lines: ["Service unavailable; client [192.0.2.1] blocked"],
  });
  assert.equal(text(greeting), "554 5.7.1 Service unavailable; client [192.0.2.1] blocked\r\n");
  session.receive(encoder.encode("EHLO c\r\nMAIL FROM:<a@example.org>\r\nQUIT\r\n"));
  assert.match(sent(session.nextEvent()), /^503 no SMTP service here|^503 Error: no SMTP service/);
  assert.match(sent(session.nextEvent()), /^503 /);
  const quit = session.nextEvent();
  assert.ok(quit.type === "send" && quit.close && quit.reply.code === 221);
});

Deno.test("ServerSession.refuseGreeting() with 421 closes the session", () => {
  const session = new ServerSession({ hostname: "mx.example.test" });
  const bytes = session.refuseGreeting({ code: 421, enhanced: "4.7.0", lines: ["Try later"] });
  assert.equal(text(bytes), "421 4.7.0 Try later\r\n");
  assert.equal(session.phase, "closed");
  assert.throws(() => session.refuseGreeting({ code: 250, lines: ["Ok"] }), RangeError);
});
