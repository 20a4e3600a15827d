import assert from "node:assert/strict";
import { ServerSession } from "./session.ts";
import type { SessionEvent, SessionOptions } from "./session_event.ts";
import { FakePolicy, runSession } from "./testing.ts";
import type { Reply } from "./reply.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bytes = (text: string) => encoder.encode(text);

const OPTIONS: SessionOptions = {
  hostname: "mx.example.test",
  maxMessageSize: 1000,
  starttls: true,
  auth: "optional",
};

/** Setup scripts per state; `--- TLS ---` upgrades the connection. */
const STATES: Record<string, string[]> = {
  fresh: [""],
  ehlo: ["EHLO c\r\n"],
  helo: ["HELO c\r\n"],
  mail: ["EHLO c\r\nMAIL FROM:<a@example.org>\r\n"],
  rcpt: ["EHLO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.test>\r\n"],
  bdat: ["EHLO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.test>\r\nBDAT 3\r\nabc"],
  tls: ["EHLO c\r\nSTARTTLS\r\n", ""],
  "tls-ehlo": ["EHLO c\r\nSTARTTLS\r\n", "EHLO c\r\n"],
  authed: ["EHLO c\r\nSTARTTLS\r\n", "EHLO c\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n"],
};

const COMMANDS = [
  "EHLO c",
  "HELO c",
  "MAIL FROM:<a@example.org>",
  "RCPT TO:<b@example.test>",
  "DATA",
  "BDAT 0",
  "RSET",
  "NOOP",
  "QUIT",
  "VRFY b",
  "EXPN b",
  "HELP",
  "STARTTLS",
  "AUTH PLAIN AGFsaWNlAHNlY3JldA==",
] as const;

// The first reply code for each command (columns in COMMANDS order) in each state.
const TABLE: Record<string, number[]> = {
  fresh: [250, 250, 503, 503, 503, 503, 250, 250, 221, 252, 502, 214, 220, 538],
  ehlo: [250, 250, 250, 503, 503, 503, 250, 250, 221, 252, 502, 214, 220, 538],
  helo: [250, 250, 250, 503, 503, 503, 250, 250, 221, 252, 502, 214, 220, 538],
  mail: [250, 250, 503, 250, 554, 554, 250, 250, 221, 252, 502, 214, 503, 538],
  rcpt: [250, 250, 503, 250, 354, 250, 250, 250, 221, 252, 502, 214, 503, 538],
  bdat: [250, 250, 503, 503, 503, 250, 250, 250, 221, 252, 502, 214, 503, 538],
  tls: [250, 250, 503, 503, 503, 503, 250, 250, 221, 252, 502, 214, 503, 503],
  "tls-ehlo": [250, 250, 250, 503, 503, 503, 250, 250, 221, 252, 502, 214, 503, 235],
  authed: [250, 250, 250, 503, 503, 503, 250, 250, 221, 252, 502, 214, 503, 503],
};

for (const [state, setup] of Object.entries(STATES)) {
  Deno.test(`ServerSession answers every command in state "${state}"`, () => {
    const before = runSession(OPTIONS, setup.map((segment) => [bytes(segment)])).output;
    const codes = COMMANDS.map((command) => {
      const segments = setup.map((segment, index) =>
        index === setup.length - 1 ? [bytes(`${segment}${command}\r\n`)] : [bytes(segment)]
      );
      const after = runSession(OPTIONS, segments).output;
      assert.ok(after.startsWith(before), `${state} / ${command}`);
      return Number(after.slice(before.length, before.length + 3));
    });
    assert.deepEqual(codes, TABLE[state]);
  });
}

/** Feeds text and drains, answering decisions with `answer`; returns the output. */
function converse(
  session: ServerSession,
  text: string,
  answer: (event: SessionEvent) => Reply | undefined = (event) => new FakePolicy().answer(event),
): string {
  session.receive(bytes(text));
  let output = "";
  for (let event = session.nextEvent(); event.type !== "need-data"; event = session.nextEvent()) {
    const reply = answer(event);
    if (event.type === "send" || event.type === "data-aborted") {
      output += decoder.decode(event.bytes);
    } else if (reply !== undefined) output += decoder.decode(session.respond(reply));
  }
  return output;
}

Deno.test("ServerSession with auth required answers MAIL without AUTH with 530", () => {
  const plain = new ServerSession({ ...OPTIONS, auth: "required" });
  assert.equal(
    converse(plain, "EHLO c\r\nMAIL FROM:<a@example.org>\r\n").split("\r\n").at(-2),
    "530 5.7.0 Must issue a STARTTLS command first",
  );
  const secure = new ServerSession({ ...OPTIONS, auth: "required", tls: true, starttls: false });
  const output = converse(secure, "EHLO c\r\nMAIL FROM:<a@example.org>\r\n");
  assert.match(output, /250 AUTH PLAIN LOGIN\r\n530 5\.7\.0 Authentication required\r\n$/);
  const after = converse(
    secure,
    "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\nMAIL FROM:<a@example.org>\r\n",
  );
  assert.equal(after, "235 2.7.0 Authentication successful\r\n250 2.1.0 Ok\r\n");
  assert.equal(secure.authenticatedUser, "alice");
});

Deno.test("ServerSession without STARTTLS or AUTH offered refuses both with 503", () => {
  const session = new ServerSession({ hostname: "mx" });
  const output = converse(session, "EHLO c\r\nSTARTTLS\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n");
  assert.doesNotMatch(output, /STARTTLS\r\n|AUTH PLAIN LOGIN/);
  assert.match(
    output,
    /503 5\.5\.1 Error: STARTTLS not offered\r\n503 5\.5\.1 Error: authentication not enabled\r\n$/,
  );
  assert.match(converse(session, "STARTTLS now\r\n"), /^501 5\.5\.4 Syntax: STARTTLS\r\n$/);
});

Deno.test("ServerSession.nextEvent() throws TypeError while a decision is pending", () => {
  const session = new ServerSession(OPTIONS);
  session.receive(bytes("EHLO c\r\nMAIL FROM:<a@example.org>\r\nNOOP\r\n"));
  assert.equal(session.nextEvent().type, "send");
  const mail = session.nextEvent();
  assert.equal(mail.type, "mail");
  assert.throws(() => session.nextEvent(), TypeError);
  assert.throws(() => session.tlsEstablished(), TypeError);
  session.respond({ code: 250, enhanced: "2.1.0", lines: ["Ok"] });
  assert.throws(() => session.respond({ code: 250, lines: ["again"] }), TypeError);
  const noop = session.nextEvent();
  assert.equal(noop.type === "send" && decoder.decode(noop.bytes), "250 2.0.0 Ok\r\n");
});

Deno.test("ServerSession.respond() with a refusal keeps the state; 421 closes", () => {
  const session = new ServerSession(OPTIONS);
  const refuse = (event: SessionEvent): Reply | undefined =>
    event.type === "mail" ? { code: 550, enhanced: "5.7.1", lines: ["Go away"] } : undefined;
  assert.match(
    converse(session, "EHLO c\r\nMAIL FROM:<a@example.org>\r\n", refuse),
    /550 5\.7\.1 Go away\r\n$/,
  );
  assert.equal(session.transaction, undefined);
  const close = (): Reply => ({ code: 421, enhanced: "4.7.0", lines: ["Bye"] });
  assert.equal(
    converse(session, "MAIL FROM:<a@example.org>\r\nNOOP\r\n", close),
    "421 4.7.0 Bye\r\n",
  );
  assert.equal(session.phase, "closed");
  assert.equal(converse(session, "NOOP\r\n"), "");
});

Deno.test("ServerSession BDAT refused by policy consumes the chunk, then answers", () => {
  const session = new ServerSession(OPTIONS);
  const answer = (event: SessionEvent): Reply | undefined =>
    event.type === "data-start"
      ? { code: 452, enhanced: "4.3.1", lines: ["Spool full"] }
      : new FakePolicy().answer(event);
  const output = converse(
    session,
    "EHLO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.test>\r\nBDAT 4\r\nRSETBDAT 2 LAST\r\nhi",
    answer,
  );
  assert.match(
    output,
    /250 2\.1\.5 Ok\r\n452 4\.3\.1 Spool full\r\n503 5\.5\.1 Error: need MAIL command\r\n$/,
  );
});

Deno.test("ServerSession DATA refused by policy makes a later BDAT a bad sequence", () => {
  const session = new ServerSession(OPTIONS);
  const answer = (event: SessionEvent): Reply | undefined =>
    event.type === "data-start"
      ? { code: 554, enhanced: "5.7.1", lines: ["No"] }
      : new FakePolicy().answer(event);
  const output = converse(
    session,
    "EHLO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.test>\r\nDATA\r\nBDAT 1 LAST\r\nx",
    answer,
  );
  assert.match(output, /554 5\.7\.1 No\r\n503 5\.5\.1 Error: bad sequence of commands\r\n$/);
});

Deno.test("ServerSession reports phases and the transaction to the driver", () => {
  const session = new ServerSession(OPTIONS);
  assert.equal(session.phase, "command");
  converse(
    session,
    "EHLO c\r\nMAIL FROM:<a@example.org> SMTPUTF8\r\nRCPT TO:<b@example.test>\r\nDATA\r\nabc",
  );
  assert.equal(session.phase, "data");
  assert.equal(session.helo?.verb, "EHLO");
  assert.deepEqual(
    session.transaction?.recipients.map((path) => path.kind === "mailbox" && path.address),
    [
      "b@example.test",
    ],
  );
  assert.equal(session.transaction?.mailParams.smtputf8, true);
  converse(session, "\r\n.\r\nBDAT 5\r\n");
  assert.equal(session.transaction, undefined);
  assert.equal(session.phase, "bdat"); // an out-of-sequence chunk is still consumed
  assert.equal(converse(session, "12345"), "503 5.5.1 Error: need MAIL command\r\n");
  assert.equal(session.phase, "command");
  converse(session, "AUTH LOGIN\r\n");
  assert.equal(session.phase, "command"); // AUTH is refused before TLS (538)
  converse(session, "STARTTLS\r\n");
  assert.equal(session.phase, "starttls");
  session.tlsEstablished();
  assert.equal(session.tls, true);
  assert.equal(session.helo, undefined);
  converse(session, "EHLO c\r\nAUTH LOGIN\r\n");
  assert.equal(session.phase, "auth");
});

Deno.test("ServerSession.terminate() formats the last reply and closes", () => {
  const session = new ServerSession(OPTIONS);
  converse(session, "EHLO c\r\n");
  const last = session.terminate({
    code: 421,
    enhanced: "4.4.2",
    lines: ["mx Error: timeout exceeded"],
  });
  assert.equal(decoder.decode(last), "421 4.4.2 mx Error: timeout exceeded\r\n");
  assert.equal(session.phase, "closed");
  assert.equal(session.nextEvent().type, "need-data");
});

Deno.test("ServerSession emits data-chunk events as views, without copying the message", () => {
  const session = new ServerSession({ ...OPTIONS, maxMessageSize: 0 });
  converse(session, "EHLO c\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n");
  const body = new Uint8Array(1 << 20).fill(97);
  for (let offset = 0; offset < body.length; offset += 1000) body.set([13, 10], offset);
  session.receive(body);
  let received = 0;
  for (let event = session.nextEvent(); event.type !== "need-data"; event = session.nextEvent()) {
    assert.equal(event.type, "data-chunk");
    if (event.type === "data-chunk") {
      assert.equal(event.bytes.buffer, body.buffer);
      received += event.bytes.length;
    }
  }
  assert.equal(received, body.length);
  session.receive(bytes("\r\n.\r\n"));
  const chunk = session.nextEvent();
  assert.equal(chunk.type === "data-chunk" && decoder.decode(chunk.bytes), "\r\n");
  assert.equal(session.nextEvent().type, "data-end");
});

Deno.test("ServerSession rejects invalid UTF-8 and control characters in commands with 500", () => {
  const session = new ServerSession(OPTIONS);
  session.receive(new Uint8Array([0x4e, 0x4f, 0x4f, 0x50, 0x20, 0xff, 13, 10]));
  const invalid = session.nextEvent();
  assert.equal(invalid.type === "send" && invalid.reply.code, 500);
  const nul = converse(session, "NO\0OP\r\n");
  assert.equal(nul, "500 Error: invalid character in command line\r\n");
});

Deno.test("ServerSession discards plaintext received between STARTTLS and tlsEstablished()", () => {
  const session = new ServerSession(OPTIONS);
  session.receive(bytes("EHLO c\r\nSTARTTLS\r\nRSET\r\n"));
  assert.equal(session.nextEvent().type, "send");
  const ready = session.nextEvent();
  assert.equal(
    ready.type === "send" && decoder.decode(ready.bytes),
    "220 2.0.0 Ready to start TLS\r\n",
  );
  assert.equal(session.nextEvent().type, "starttls");
  assert.equal(session.nextEvent().type, "need-data");
  session.receive(bytes("MAIL FROM:<injected@example.org>\r\n"));
  assert.equal(session.nextEvent().type, "need-data");
  session.tlsEstablished();
  assert.equal(session.nextEvent().type, "need-data");
  assert.throws(() => session.tlsEstablished(), TypeError);
});

Deno.test("ServerSession passes AUTH PLAIN authzid and UTF-8 LOGIN passwords to the driver", () => {
  const session = new ServerSession({ ...OPTIONS, tls: true });
  const seen: SessionEvent[] = [];
  const record = (event: SessionEvent): Reply | undefined => {
    if (event.type === "auth") seen.push(event);
    return event.type === "auth" ? { code: 535, enhanced: "5.7.8", lines: ["No"] } : undefined;
  };
  const plain = btoa("admin\0alice\0secret");
  converse(session, `EHLO c\r\nAUTH PLAIN ${plain}\r\n`, record);
  const login = btoa(String.fromCharCode(...encoder.encode("pässwörd")));
  converse(session, `AUTH LOGIN ${btoa("bob")}\r\n${login}\r\n`, record);
  assert.deepEqual(seen, [
    { type: "auth", mechanism: "PLAIN", authzid: "admin", username: "alice", password: "secret" },
    { type: "auth", mechanism: "LOGIN", username: "bob", password: "pässwörd" },
  ]);
  assert.equal(
    converse(session, `AUTH PLAIN ${btoa("alice")}\r\nAUTH LOGIN =x=\r\n`),
    "501 5.5.2 Cannot decode response\r\n501 5.5.2 Cannot decode response\r\n",
  );
  assert.equal(session.authenticatedUser, undefined);
});
