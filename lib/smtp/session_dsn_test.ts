import assert from "node:assert/strict";
import { ehloTranscript, parseTranscript, runSession } from "./testing.ts";
import { ServerSession } from "./session.ts";
import type { SessionOptions } from "./session_event.ts";

const OPTIONS: SessionOptions = { hostname: "mx.example.test", maxMessageSize: 1000, dsn: true };

const EHLO = ehloTranscript(["DSN"]);

function run(script: string, options: SessionOptions = OPTIONS): void {
  const { segments, expected } = parseTranscript(script);
  assert.equal(runSession(options, segments.map((segment) => [segment])).output, expected);
}

Deno.test("ServerSession transcript: EHLO offers DSN; RET, ENVID and NOTIFY=NEVER are accepted", () => {
  run(String.raw`S: 220 mx.example.test ESMTP Empath
    C: EHLO client.example
    ${EHLO}
    C: MAIL FROM:<a@example.org> RET=HDRS ENVID=QQ314159
    S: 250 2.1.0 Ok
    C: RCPT TO:<b@example.test> NOTIFY=NEVER
    S: 250 2.1.5 Ok
    C: RCPT TO:<c@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;c@example.test
    S: 250 2.1.5 Ok
    C: QUIT
    S: 221 2.0.0 Bye`);
});

Deno.test("ServerSession transcript: bad DSN values and duplicates get 501 5.5.4", () => {
  run(String.raw`S: 220 mx.example.test ESMTP Empath
    C: EHLO client.example
    ${EHLO}
    C: MAIL FROM:<a@example.org> RET=ALL
    S: 501 5.5.4 Bad RET parameter syntax
    C: MAIL FROM:<a@example.org> RET=FULL RET=FULL
    S: 501 5.5.4 Duplicate RET parameter
    C: MAIL FROM:<a@example.org>
    S: 250 2.1.0 Ok
    C: RCPT TO:<b@example.test> NOTIFY=NEVER,DELAY
    S: 501 5.5.4 Bad NOTIFY parameter syntax
    C: RCPT TO:<b@example.test> ORCPT=x400;b
    S: 501 5.5.4 Bad ORCPT parameter syntax
    C: QUIT
    S: 221 2.0.0 Bye`);
});

Deno.test("ServerSession transcript: without DSN, EHLO omits it and its parameters get 555", () => {
  run(
    String.raw`S: 220 mx.example.test ESMTP Empath
    C: EHLO client.example
    ${ehloTranscript([])}
    C: MAIL FROM:<a@example.org> ENVID=x
    S: 555 5.5.4 Unsupported or invalid parameter ENVID
    C: MAIL FROM:<a@example.org>
    S: 250 2.1.0 Ok
    C: RCPT TO:<b@example.test> ORCPT=rfc822;b@example.test
    S: 555 5.5.4 Unsupported or invalid parameter ORCPT
    C: QUIT
    S: 221 2.0.0 Bye`,
    { ...OPTIONS, dsn: false },
  );
});

Deno.test("ServerSession keeps each recipient's DSN parameters with the transaction", () => {
  const session = new ServerSession(OPTIONS);
  const encoder = new TextEncoder();
  session.receive(encoder.encode(
    "EHLO c\r\nMAIL FROM:<a@example.org> ENVID=e+2B1\r\nRCPT TO:<b@example.test> NOTIFY=DELAY\r\n" +
      "RCPT TO:<c@example.test>\r\n",
  ));
  assert.equal(session.nextEvent().type, "send");
  for (let index = 0; index < 3; index++) {
    session.nextEvent();
    session.respond({ code: 250, enhanced: "2.1.0", lines: ["Ok"] });
  }
  assert.equal(session.transaction?.mailParams.envid, "e+1");
  assert.deepEqual(session.transaction?.recipientParams, [{ notify: ["DELAY"] }, {}]);
});

Deno.test("ServerSession with DSN accepts a RCPT line lengthened by a 500-character ORCPT", () => {
  const orcpt = `rfc822;${"a".repeat(480)}@example.test`;
  run(String.raw`S: 220 mx.example.test ESMTP Empath
    C: EHLO client.example
    ${EHLO}
    C: MAIL FROM:<a@example.org>
    S: 250 2.1.0 Ok
    C: RCPT TO:<${"b".repeat(60)}@example.test> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=${orcpt}
    S: 250 2.1.5 Ok`);
});
