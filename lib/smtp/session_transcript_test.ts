import assert from "node:assert/strict";
import { ehloTranscript, parseTranscript, runSession } from "./testing.ts";
import type { SessionOptions } from "./session_event.ts";

const OPTIONS: SessionOptions = {
  hostname: "mx.example.test",
  maxMessageSize: 1000,
  maxRecipients: 3,
  starttls: true,
  auth: "optional",
};

const EHLO = ehloTranscript(["STARTTLS"]);

const EHLO_TLS = ehloTranscript(["AUTH PLAIN LOGIN"]);

interface Fixture {
  readonly name: string;
  readonly script: string;
  readonly messages?: readonly string[];
  readonly options?: Partial<SessionOptions>;
}

const FIXTURES: readonly Fixture[] = [
  {
    name: "a plain ESMTP transaction with dot-stuffing",
    script: String.raw`S: 220 mx.example.test ESMTP Empath
      C: EHLO client.example
      ${EHLO}
      C: MAIL FROM:<a@example.org>
      S: 250 2.1.0 Ok
      C: RCPT TO:<b@example.test>
      S: 250 2.1.5 Ok
      C: DATA
      S: 354 Go ahead
      C: Subject: hi
      C:
      C: ..leading dot
      C: .
      S: 250 2.0.0 Ok: queued as Q1
      C: QUIT
      S: 221 2.0.0 Bye`,
    messages: ["Subject: hi\r\n\r\n.leading dot\r\n"],
  },
  {
    name: "HELO gets no extensions and no enhanced codes",
    script: String.raw`S: 220 mx.example.test ESMTP Empath
      C: HELO client.example
      S: 250 mx.example.test
      C: MAIL FROM:<>
      S: 250 Ok
      C: RCPT TO:<Postmaster>
      S: 250 Ok
      C: DATA
      S: 354 Go ahead
      C: .
      S: 250 Ok: queued as Q1
      C: FOO
      S: 500 Error: command not recognized`,
    messages: [""],
  },
  {
    name: "pipelined recipients with refusals, then DATA",
    script: String.raw`S: 220 mx.example.test ESMTP Empath
      C: EHLO client.example
      ${EHLO}
      C: MAIL FROM:<a@example.org> SIZE=10 BODY=8BITMIME
      C: RCPT TO:<reject@example.test>
      C: RCPT TO:<busy@example.test>
      C: RCPT TO:<ok@example.test>
      C: DATA
      S: 250 2.1.0 Ok
      S: 550 5.1.1 No such user
      S: 451 4.3.0 Try later
      S: 250 2.1.5 Ok
      S: 354 Go ahead
      C: x
      C: .
      C: QUIT
      S: 250 2.0.0 Ok: queued as Q1
      S: 221 2.0.0 Bye`,
    messages: ["x\r\n"],
  },
  {
    name: "DATA without valid recipients is 554 and the text is parsed as commands",
    script: String.raw`S: 220 mx.example.test ESMTP Empath
      C: EHLO client.example
      ${EHLO}
      C: MAIL FROM:<a@example.org>
      C: RCPT TO:<reject@example.test>
      C: DATA
      C: RSET
      S: 250 2.1.0 Ok
      S: 550 5.1.1 No such user
      S: 554 5.5.1 Error: no valid recipients
      S: 250 2.0.0 Ok`,
  },
  {
    name: "BDAT chunks, pipelined, with binary content",
    script: String.raw`S: 220 mx.example.test ESMTP Empath
      C: EHLO client.example
      ${EHLO}
      C: MAIL FROM:<a@example.org>
      C: RCPT TO:<b@example.test>
      C: BDAT 6
      C+ a\r\n.\n\x00
      C: BDAT 3 LAST
      C+ end
      C: QUIT
      S: 250 2.1.0 Ok
      S: 250 2.1.5 Ok
      S: 250 2.0.0 Ok: 6 octets received
      S: 250 2.0.0 Ok: queued as Q1
      S: 221 2.0.0 Bye`,
    messages: ["a\r\n.\n\x00end"],
  },
  {
    name: "BDAT out of sequence still consumes its octets",
    script: String.raw`S: 220 mx.example.test ESMTP Empath
      C: EHLO client.example
      ${EHLO}
      C: BDAT 6 LAST
      C+ QUIT\r\n
      C: MAIL FROM:<a@example.org>
      C: RCPT TO:<reject@example.test>
      C: BDAT 4
      C+ RSET
      C: DATA
      S: 503 5.5.1 Error: need MAIL command
      S: 250 2.1.0 Ok
      S: 550 5.1.1 No such user
      S: 554 5.5.1 Error: no valid recipients
      S: 554 5.5.1 Error: no valid recipients`,
  },
  {
    name: "DATA after BDAT is a bad sequence; BDAT 0 LAST ends the message",
    script: String.raw`S: 220 mx.example.test ESMTP Empath
      C: EHLO client.example
      ${EHLO}
      C: MAIL FROM:<a@example.org>
      C: RCPT TO:<b@example.test>
      C: BDAT 2
      C+ hi
      C: DATA
      C: BDAT 0 LAST
      S: 250 2.1.0 Ok
      S: 250 2.1.5 Ok
      S: 250 2.0.0 Ok: 2 octets received
      S: 503 5.5.1 Error: BDAT in progress
      S: 250 2.0.0 Ok: queued as Q1`,
    messages: ["hi"],
  },
  {
    name: "BDAT over the size limit is consumed and refused",
    script: String.raw`S: 220 mx.example.test ESMTP Empath
      C: EHLO client.example
      ${EHLO}
      C: MAIL FROM:<a@example.org>
      C: RCPT TO:<b@example.test>
      C: BDAT 600
      C+ ${"x".repeat(600)}
      C: BDAT 600 LAST
      C+ ${"y".repeat(600)}
      C: NOOP
      S: 250 2.1.0 Ok
      S: 250 2.1.5 Ok
      S: 250 2.0.0 Ok: 600 octets received
      S: 552 5.3.4 Message size exceeds fixed maximum message size
      S: 250 2.0.0 Ok`,
  },
  {
    name: "STARTTLS discards pipelined plaintext and resets the session",
    script: String.raw`S: 220 mx.example.test ESMTP Empath
      C: EHLO client.example
      ${EHLO}
      C: STARTTLS
      C: MAIL FROM:<injected@example.org>
      S: 220 2.0.0 Ready to start TLS
      --- TLS ---
      C: MAIL FROM:<a@example.org>
      C: EHLO client.example
      S: 503 Error: send HELO/EHLO first
      ${EHLO_TLS}
      C: STARTTLS
      S: 503 5.5.1 Error: TLS already active`,
  },
  {
    name: "AUTH PLAIN and LOGIN exchanges, cancel and bad base64",
    script: String.raw`S: 220 mx.example.test ESMTP Empath
      C: EHLO client.example
      ${EHLO}
      C: AUTH PLAIN AGFsaWNlAHNlY3JldA==
      S: 538 5.7.11 Encryption required for requested authentication mechanism
      C: STARTTLS
      S: 220 2.0.0 Ready to start TLS
      --- TLS ---
      C: EHLO client.example
      ${EHLO_TLS}
      C: AUTH PLAIN
      S: 334 
      C: *
      S: 501 5.7.0 Authentication aborted
      C: AUTH LOGIN
      S: 334 VXNlcm5hbWU6
      C: not base64!
      S: 501 5.5.2 Cannot decode response
      C: AUTH CRAM-MD5
      S: 504 5.5.4 Unsupported authentication mechanism
      C: AUTH LOGIN YWxpY2U=
      S: 334 UGFzc3dvcmQ6
      C: d3Jvbmc=
      S: 535 5.7.8 Authentication credentials invalid
      C: AUTH PLAIN
      S: 334 
      C: AGFsaWNlAHNlY3JldA==
      S: 235 2.7.0 Authentication successful
      C: AUTH PLAIN AGFsaWNlAHNlY3JldA==
      S: 503 5.5.1 Error: already authenticated`,
  },
  {
    name: "SMTP smuggling: bare LF before the dot never ends the data",
    script: String.raw`S: 220 mx.example.test ESMTP Empath
      C: EHLO client.example
      ${EHLO}
      C: MAIL FROM:<a@example.org>
      C: RCPT TO:<b@example.test>
      C: DATA
      S: 250 2.1.0 Ok
      S: 250 2.1.5 Ok
      S: 354 Go ahead
      C+ first\n.\r\nMAIL FROM:<evil@example.org>\r\nRCPT TO:<b@example.test>\r\n
      C+ DATA\r\nsmuggled\r\n\r.\r\nx\r\n.\nRSET\r\n.\r\n
      S: 550 5.6.0 Error: message contains bare CR or LF characters
      C: NOOP
      S: 250 2.0.0 Ok`,
  },
  {
    name: "a message over the size limit and one with a long line are refused at the end",
    script: String.raw`S: 220 mx.example.test ESMTP Empath
      C: EHLO client.example
      ${EHLO}
      C: MAIL FROM:<a@example.org>
      C: RCPT TO:<b@example.test>
      C: DATA
      S: 250 2.1.0 Ok
      S: 250 2.1.5 Ok
      S: 354 Go ahead
      C+ ${"x".repeat(990)}\r\n${"y".repeat(100)}\r\n.\r\n
      S: 552 5.3.4 Message size exceeds fixed maximum message size
      C: RCPT TO:<b@example.test>
      S: 503 5.5.1 Error: need MAIL command`,
  },
  {
    name: "MAIL SIZE over the limit, too many recipients, UTF-8 without SMTPUTF8",
    script: String.raw`S: 220 mx.example.test ESMTP Empath
      C: EHLO client.example
      ${EHLO}
      C: MAIL FROM:<a@example.org> SIZE=1001
      C: MAIL FROM:<jörg@example.org>
      C: MAIL FROM:<jörg@example.org> SMTPUTF8
      C: RCPT TO:<b1@example.test>
      C: RCPT TO:<b2@example.test>
      C: RCPT TO:<b3@example.test>
      C: RCPT TO:<b4@example.test>
      C: RCPT TO:<b5@example.test> NOTIFY=NEVER
      C: RSET
      C: MAIL FROM:<a@example.org>
      C: RCPT TO:<ü@example.test>
      S: 552 5.3.4 Message size exceeds fixed maximum message size
      S: 553 5.6.7 Must declare SMTPUTF8 to send unicode address
      S: 250 2.1.0 Ok
      S: 250 2.1.5 Ok
      S: 250 2.1.5 Ok
      S: 250 2.1.5 Ok
      S: 452 4.5.3 Error: too many recipients
      S: 555 5.5.4 Unsupported or invalid parameter NOTIFY
      S: 250 2.0.0 Ok
      S: 250 2.1.0 Ok
      S: 553 5.6.7 Must declare SMTPUTF8 to send unicode address`,
  },
  {
    name: "small talk: NOOP, VRFY, EXPN, HELP, a long line, bare LF, QUIT ends it",
    script: String.raw`S: 220 mx.example.test ESMTP Empath
      C: NOOP
      S: 250 Ok
      C: EHLO client.example
      ${EHLO}
      C: VRFY postmaster
      S: 252 2.1.5 Cannot VRFY user, but will accept message
      C: EXPN staff
      S: 502 5.5.1 Error: command not implemented
      C: HELP
      S: 214 2.0.0 See https://www.rfc-editor.org/rfc/rfc5321
      C: NOOP ${"x".repeat(600)}
      S: 500 5.5.2 Error: line too long
      C+ NOOP\nNOOP\r\n
      S: 500 5.5.2 Error: bare CR or LF in command line
      C: MAIL FRM:<a@example.org>
      S: 501 5.5.4 Syntax: MAIL FROM:<address>
      C: QUIT
      S: 221 2.0.0 Bye
      C: NOOP`,
  },
  {
    name: "the error limit answers 421 and closes",
    options: { maxErrors: 3 },
    script: String.raw`S: 220 mx.example.test ESMTP Empath
      C: FOO
      C: BAR
      C: BAZ
      C: NOOP
      S: 500 Error: command not recognized
      S: 500 Error: command not recognized
      S: 421 mx.example.test Error: too many errors`,
  },
  {
    name: "failed AUTH attempts count as errors: password guessing ends in 421",
    options: { maxErrors: 3, tls: true, starttls: false },
    script: String.raw`S: 220 mx.example.test ESMTP Empath
      C: EHLO client.example
      ${EHLO_TLS}
      C: AUTH PLAIN AGFsaWNlAHdyb25n
      S: 535 5.7.8 Authentication credentials invalid
      C: AUTH PLAIN AGFsaWNlAHdyb25nMg==
      S: 535 5.7.8 Authentication credentials invalid
      C: AUTH PLAIN AGFsaWNlAHdyb25nMw==
      S: 421 4.7.0 mx.example.test Error: too many errors
      C: NOOP`,
  },
  {
    name: "the command limit answers 421 and closes",
    options: { maxCommands: 2 },
    script: String.raw`S: 220 mx.example.test ESMTP Empath
      C: NOOP
      C: NOOP
      C: NOOP
      C: NOOP
      S: 250 Ok
      S: 250 Ok
      S: 421 mx.example.test Error: too many commands`,
  },
];

/** Every way to cut `bytes` in two, plus byte by byte. */
function splits(bytes: Uint8Array): Uint8Array[][] {
  const all: Uint8Array[][] = [];
  for (let offset = 1; offset < bytes.length; offset++) {
    all.push([bytes.subarray(0, offset), bytes.subarray(offset)]);
  }
  all.push(Array.from(bytes, (_, index) => bytes.subarray(index, index + 1)));
  return all;
}

for (const fixture of FIXTURES) {
  Deno.test(`ServerSession transcript: ${fixture.name}`, () => {
    const { segments, expected } = parseTranscript(fixture.script);
    const options = { ...OPTIONS, ...fixture.options };
    const whole = runSession(options, segments.map((segment) => [segment]));
    assert.equal(whole.output, expected);
    if (fixture.messages !== undefined) assert.deepEqual(whole.messages, fixture.messages);
  });

  Deno.test(`ServerSession transcript split at every offset: ${fixture.name}`, () => {
    const { segments, expected } = parseTranscript(fixture.script);
    const options = { ...OPTIONS, ...fixture.options };
    for (const [index, segment] of segments.entries()) {
      for (const cut of splits(segment)) {
        const chunks = segments.map((other, at) => (at === index ? cut : [other]));
        const run = runSession(options, chunks);
        assert.equal(run.output, expected, `segment ${index} cut ${cut.map((c) => c.length)}`);
        if (fixture.messages !== undefined) assert.deepEqual(run.messages, fixture.messages);
      }
    }
  });
}
