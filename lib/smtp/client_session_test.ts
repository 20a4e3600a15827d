import assert from "node:assert/strict";
import { ClientSession } from "./client_session.ts";
import { parseClientScript, runClientSession } from "./client_testing.ts";
import type { ClientResult, ClientSessionOptions, TransactionRequest } from "./client_types.ts";

const REQUEST: TransactionRequest = {
  reversePath: "a@example.test",
  recipients: ["b@example.org", "c@example.org"],
  size: 100,
  needsSmtputf8: false,
  eightBit: false,
};
const OPTIONS: ClientSessionOptions = { heloName: "client.example" };
const GREETING = `S: 220 mx.example.org ESMTP
  C: EHLO client.example`;
const PIPELINING = `S: 250-mx.example.org
  S: 250-SIZE 50
  S: 250 PIPELINING`;

/** Runs a script whole and split at every byte; returns the results. */
function run(
  text: string,
  requests: readonly TransactionRequest[] = [REQUEST],
  options: ClientSessionOptions = OPTIONS,
): ClientResult[] {
  const script = parseClientScript(text);
  const whole = runClientSession(options, script, requests);
  assert.equal(whole.sent, script.expected);
  for (let split = 1; split < script.server[0].length; split++) {
    assert.deepEqual(runClientSession(options, script, requests, split), whole);
  }
  return whole.results;
}

function codes(result: ClientResult | undefined): number[] {
  assert.equal(result?.kind, "transaction");
  return result.kind === "transaction" ? result.recipients.map(({ reply }) => reply.code) : [];
}

Deno.test("ClientSession fails all recipients when the message exceeds SIZE", () => {
  const results = run(`${GREETING}
    ${PIPELINING}
    C: QUIT
    S: 221 Bye`);
  assert.equal(results.length, 1);
  assert.deepEqual(codes(results[0]), [552, 552]);
  const reply = results[0].kind === "transaction" ? results[0].recipients[0].reply : undefined;
  assert.equal(reply?.enhanced, "5.3.4");
  assert.match(reply?.lines[0] ?? "", /100 exceeds the server's limit of 50/);
});

Deno.test("ClientSession fails all recipients when SMTPUTF8 is needed but not offered", () => {
  const results = run(
    `${GREETING}
    S: 250-mx.example.org
    S: 250 8BITMIME
    C: QUIT
    S: 221 Bye`,
    [{ ...REQUEST, needsSmtputf8: true, eightBit: true }],
  );
  assert.deepEqual(codes(results[0]), [550, 550]);
  const reply = results[0].kind === "transaction" ? results[0].recipients[1].reply : undefined;
  assert.equal(reply?.enhanced, "5.6.7");
  assert.match(reply?.lines[0] ?? "", /SMTPUTF8/);
});

Deno.test("ClientSession declares SIZE, BODY=8BITMIME and SMTPUTF8 when offered", () => {
  const results = run(
    `${GREETING}
    S: 250-mx.example.org
    S: 250-SIZE
    S: 250-8BITMIME
    S: 250 SMTPUTF8
    C: MAIL FROM:<jörg@example.test> SIZE=100 BODY=8BITMIME SMTPUTF8
    S: 250 Ok
    C: RCPT TO:<b@example.org>
    S: 250 Ok
    C: DATA
    S: 354 Go
    C: <body>
    S: 250 Ok
    C: QUIT
    S: 221 Bye`,
    [{
      ...REQUEST,
      reversePath: "jörg@example.test",
      recipients: ["b@example.org"],
      eightBit: true,
      needsSmtputf8: true,
    }],
  );
  assert.deepEqual(codes(results[0]), [250]);
});

Deno.test("ClientSession sends RSET instead of DATA when no recipient was accepted", () => {
  const results = run(`${GREETING}
    S: 250 mx.example.org
    C: MAIL FROM:<a@example.test>
    S: 250 Ok
    C: RCPT TO:<b@example.org>
    S: 550 5.1.1 Unknown
    C: RCPT TO:<c@example.org>
    S: 451 4.3.0 Later
    C: RSET
    S: 250 Ok
    C: QUIT
    S: 221 Bye`);
  assert.deepEqual(codes(results[0]), [550, 451]);
});

Deno.test("ClientSession answers a pipelined DATA 554 with RSET", () => {
  const results = run(`${GREETING}
    S: 250-mx.example.org
    S: 250 PIPELINING
    C: MAIL FROM:<a@example.test>
    C: RCPT TO:<b@example.org>
    C: RCPT TO:<c@example.org>
    C: DATA
    S: 250 Ok
    S: 550 5.1.1 Unknown
    S: 550 5.1.1 Unknown
    S: 554 5.5.1 No valid recipients
    C: RSET
    S: 250 Ok
    C: QUIT
    S: 221 Bye`);
  assert.deepEqual(codes(results[0]), [550, 550]);
});

Deno.test("ClientSession sends an empty message when DATA is accepted without recipients", () => {
  const results = run(`${GREETING}
    S: 250-mx.example.org
    S: 250 PIPELINING
    C: MAIL FROM:<a@example.test>
    C: RCPT TO:<b@example.org>
    C: RCPT TO:<c@example.org>
    C: DATA
    S: 250 Ok
    S: 550 5.1.1 Unknown
    S: 551 5.1.6 Moved
    S: 354 Go ahead
    C: .
    S: 554 5.5.1 No valid recipients
    C: QUIT
    S: 221 Bye`);
  assert.deepEqual(codes(results[0]), [550, 551]);
});

Deno.test("ClientSession gives every recipient the MAIL reply when MAIL is refused", () => {
  const results = run(`${GREETING}
    S: 250-mx.example.org
    S: 250 PIPELINING
    C: MAIL FROM:<a@example.test>
    C: RCPT TO:<b@example.org>
    C: RCPT TO:<c@example.org>
    C: DATA
    S: 553 5.7.1 Sender rejected
    S: 503 5.5.1 Need MAIL
    S: 503 5.5.1 Need MAIL
    S: 503 5.5.1 Need MAIL
    C: QUIT
    S: 221 Bye`);
  assert.deepEqual(codes(results[0]), [553, 553]);
});

Deno.test("ClientSession gives accepted recipients the DATA reply when DATA is refused", () => {
  const results = run(`${GREETING}
    S: 250 mx.example.org
    C: MAIL FROM:<a@example.test>
    S: 250 Ok
    C: RCPT TO:<b@example.org>
    S: 250 Ok
    C: RCPT TO:<c@example.org>
    S: 550 5.1.1 Unknown
    C: DATA
    S: 451 4.3.0 Try later
    C: RSET
    S: 250 Ok
    C: QUIT
    S: 221 Bye`);
  assert.deepEqual(codes(results[0]), [451, 550]);
});

Deno.test("ClientSession speaks LMTP with one reply per accepted recipient", () => {
  const results = run(
    `S: 220 lmtp.example.org LMTP
    C: LHLO client.example
    S: 250-lmtp.example.org
    S: 250-PIPELINING
    S: 250 ENHANCEDSTATUSCODES
    C: MAIL FROM:<a@example.test>
    C: RCPT TO:<b@example.org>
    C: RCPT TO:<c@example.org>
    C: RCPT TO:<d@example.org>
    C: DATA
    S: 250 2.1.0 Ok
    S: 250 2.1.5 Ok
    S: 550 5.1.1 Unknown
    S: 250 2.1.5 Ok
    S: 354 Go
    C: <body>
    S: 250 2.0.0 Delivered to b
    S: 452 4.2.2 Mailbox full
    C: QUIT
    S: 221 Bye`,
    [{ ...REQUEST, recipients: ["b@example.org", "c@example.org", "d@example.org"] }],
    { ...OPTIONS, lmtp: true },
  );
  assert.deepEqual(codes(results[0]), [250, 550, 452]);
});

Deno.test("ClientSession carries two transactions on one connection", () => {
  const one = { ...REQUEST, recipients: ["b@example.org"] };
  const results = run(
    `${GREETING}
    S: 250 mx.example.org
    C: MAIL FROM:<a@example.test>
    S: 250 Ok
    C: RCPT TO:<b@example.org>
    S: 250 Ok
    C: DATA
    S: 354 Go
    C: <body>
    S: 250 Ok: first
    C: MAIL FROM:<a@example.test>
    S: 250 Ok
    C: RCPT TO:<b@example.org>
    S: 250 Ok
    C: DATA
    S: 354 Go
    C: <body>
    S: 250 Ok: second
    C: QUIT
    S: 221 Bye`,
    [one, one],
  );
  assert.equal(results.length, 2);
  assert.deepEqual(codes(results[1]), [250]);
});

Deno.test("ClientSession reset() sends RSET and becomes idle again", () => {
  const session = new ClientSession(OPTIONS);
  const encoder = new TextEncoder();
  session.receive(encoder.encode("220 mx\r\n250 mx\r\n"));
  assert.equal(session.nextAction().type, "send");
  assert.deepEqual(session.nextAction(), { type: "idle" });
  session.reset();
  const action = session.nextAction();
  assert.equal(action.type === "send" && new TextDecoder().decode(action.bytes), "RSET\r\n");
  session.receive(encoder.encode("500 no\r\n"));
  assert.deepEqual(session.nextAction(), { type: "send", bytes: encoder.encode("QUIT\r\n") });
  const done = session.nextAction();
  assert.equal(done.type === "done" && done.result.kind, "protocol-error");
  assert.deepEqual(session.nextAction(), { type: "closed" });
});

Deno.test("ClientSession settles undecided recipients with a 421 and closes", () => {
  const results = run(`${GREETING}
    S: 250 mx.example.org
    C: MAIL FROM:<a@example.test>
    S: 250 Ok
    C: RCPT TO:<b@example.org>
    S: 550 5.1.1 Unknown
    C: RCPT TO:<c@example.org>
    S: 421 4.3.2 Shutting down`);
  assert.deepEqual(codes(results[0]), [550, 421]);
});

Deno.test("ClientSession reports garbage replies as a protocol error", () => {
  const results = run(`${GREETING}
    S: HTTP/1.1 400 Bad Request
    C: QUIT`);
  assert.equal(results[0].kind, "protocol-error");
});

Deno.test("ClientSession reports a lost connection as connection-failed", () => {
  const script = parseClientScript(`${GREETING}\nS: 250-mx.example.org`);
  const { results } = runClientSession(OPTIONS, script, [REQUEST]);
  assert.deepEqual(results, [{ kind: "connection-failed", reason: "end of script" }]);
});

Deno.test("ClientSession deliver() refuses misuse with TypeError", () => {
  const session = new ClientSession(OPTIONS);
  assert.throws(() => session.deliver(REQUEST), TypeError);
  session.receive(new TextEncoder().encode("220 mx\r\n250 mx\r\n"));
  session.nextAction();
  assert.throws(() => session.deliver({ ...REQUEST, recipients: [] }), TypeError);
  assert.throws(() => session.deliver({ ...REQUEST, recipients: ["a@b>\r\nDATA"] }), TypeError);
  assert.throws(() => session.bodySent(), TypeError);
});
