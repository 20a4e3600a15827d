import assert from "node:assert/strict";
import { parseClientScript, runClientSession } from "./client_testing.ts";
import type { ClientResult, ClientSessionOptions, TransactionRequest } from "./client_types.ts";

const REQUEST: TransactionRequest = {
  reversePath: "a@example.test",
  recipients: ["b@example.org", "c@example.org"],
  size: 100,
  needsSmtputf8: false,
  eightBit: false,
};

const EHLO_FULL = `
  S: 250-mx.example.org
  S: 250-PIPELINING
  S: 250-SIZE 1000
  S: 250-8BITMIME
  S: 250-SMTPUTF8
  S: 250-ENHANCEDSTATUSCODES
  S: 250 CHUNKING`;

interface Fixture {
  readonly name: string;
  readonly script: string;
  readonly options?: Partial<ClientSessionOptions>;
  readonly requests?: readonly TransactionRequest[];
  readonly results: readonly ClientResult[];
}

const ok = (code: number, enhanced: string, text: string) => ({
  code,
  enhanced,
  lines: [text],
});

const FIXTURES: readonly Fixture[] = [
  {
    name: "pipelines MAIL, RCPTs and DATA and keeps per-recipient replies",
    script: `S: 220 mx.example.org ESMTP
      C: EHLO client.example
      ${EHLO_FULL}
      C: MAIL FROM:<a@example.test> SIZE=100
      C: RCPT TO:<b@example.org>
      C: RCPT TO:<c@example.org>
      C: DATA
      S: 250 2.1.0 Ok
      S: 550 5.1.1 No such user
      S: 250 2.1.5 Ok
      S: 354 End data with <CR><LF>.<CR><LF>
      C: <body>
      S: 250 2.0.0 Ok: queued as X1
      C: QUIT
      S: 221 2.0.0 Bye`,
    results: [{
      kind: "transaction",
      recipients: [
        { address: "b@example.org", reply: ok(550, "5.1.1", "No such user") },
        { address: "c@example.org", reply: ok(250, "2.0.0", "Ok: queued as X1") },
      ],
    }],
  },
  {
    name: "sends one command at a time without PIPELINING",
    script: `S: 220 mx.example.org ESMTP
      C: EHLO client.example
      S: 250-mx.example.org
      S: 250 8BITMIME
      C: MAIL FROM:<a@example.test>
      S: 250 Ok
      C: RCPT TO:<b@example.org>
      S: 250 Ok
      C: RCPT TO:<c@example.org>
      S: 450 4.2.0 Mailbox busy
      C: DATA
      S: 354 Go
      C: <body>
      S: 250 Queued
      C: QUIT
      S: 221 Bye`,
    results: [{
      kind: "transaction",
      recipients: [
        { address: "b@example.org", reply: { code: 250, lines: ["Queued"] } },
        { address: "c@example.org", reply: ok(450, "4.2.0", "Mailbox busy") },
      ],
    }],
  },
  {
    name: "falls back to HELO when EHLO gets 5xx",
    script: `S: 220 old.example.org SMTP
      C: EHLO client.example
      S: 502 Command not implemented
      C: HELO client.example
      S: 250 old.example.org
      C: MAIL FROM:<a@example.test>
      S: 250 Ok
      C: RCPT TO:<b@example.org>
      S: 250 Ok
      C: DATA
      S: 354 Go
      C: <body>
      S: 250 Ok
      C: QUIT
      S: 221 Bye`,
    requests: [{ ...REQUEST, recipients: ["b@example.org"] }],
    results: [{
      kind: "transaction",
      recipients: [{ address: "b@example.org", reply: { code: 250, lines: ["Ok"] } }],
    }],
  },
  {
    name: "a 554 greeting means try the next host",
    script: `S: 554 5.7.1 Go away
      C: QUIT`,
    results: [{
      kind: "try-next-host",
      reply: ok(554, "5.7.1", "Go away"),
      reason: "Greeting refused: 554 5.7.1 Go away",
    }],
  },
  {
    name: "a 421 greeting means try the next host, without QUIT",
    script: `S: 421 4.3.2 Busy`,
    results: [{
      kind: "try-next-host",
      reply: ok(421, "4.3.2", "Busy"),
      reason: "Service not available: 421 4.3.2 Busy",
    }],
  },
  {
    name: "uses STARTTLS when offered and says EHLO again",
    script: `S: 220 mx.example.org ESMTP
      C: EHLO client.example
      S: 250-mx.example.org
      S: 250 STARTTLS
      C: STARTTLS
      S: 220 2.0.0 Ready to start TLS
      --- TLS ---
      C: EHLO client.example
      S: 250-mx.example.org
      S: 250 PIPELINING
      C: MAIL FROM:<a@example.test>
      C: RCPT TO:<b@example.org>
      C: DATA
      S: 250 Ok
      S: 250 Ok
      S: 354 Go
      C: <body>
      S: 250 Ok
      C: QUIT
      S: 221 Bye`,
    requests: [{ ...REQUEST, recipients: ["b@example.org"] }],
    results: [{
      kind: "transaction",
      recipients: [{ address: "b@example.org", reply: { code: 250, lines: ["Ok"] } }],
      tls: { version: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384" },
    }],
  },
  {
    name: "required TLS without STARTTLS gives tls-unavailable",
    options: { tls: "required" },
    script: `S: 220 mx.example.org ESMTP
      C: EHLO client.example
      S: 250 mx.example.org
      C: QUIT`,
    results: [{ kind: "tls-unavailable", reason: "The server does not offer STARTTLS" }],
  },
  {
    name: "opportunistic TLS continues in plaintext when STARTTLS is refused",
    script: `S: 220 mx.example.org ESMTP
      C: EHLO client.example
      S: 250-mx.example.org
      S: 250 STARTTLS
      C: STARTTLS
      S: 454 4.7.0 TLS not available
      C: QUIT
      S: 221 Bye`,
    requests: [],
    results: [],
  },
  {
    name: "never says STARTTLS when TLS is disabled",
    options: { tls: "disabled" },
    script: `S: 220 mx.example.org ESMTP
      C: EHLO client.example
      S: 250-mx.example.org
      S: 250 STARTTLS
      C: QUIT
      S: 221 Bye`,
    requests: [],
    results: [],
  },
  {
    name: "authenticates with PLAIN after TLS",
    options: { auth: { username: "user", password: "secret" } },
    script: `S: 220 mx.example.org ESMTP
      C: EHLO client.example
      S: 250-mx.example.org
      S: 250-AUTH LOGIN
      S: 250 STARTTLS
      C: STARTTLS
      S: 220 Go ahead
      --- TLS ---
      C: EHLO client.example
      S: 250-mx.example.org
      S: 250 AUTH LOGIN PLAIN
      C: AUTH PLAIN AHVzZXIAc2VjcmV0
      S: 235 2.7.0 Authentication successful
      C: QUIT
      S: 221 Bye`,
    requests: [],
    results: [],
  },
  {
    name: "authenticates with LOGIN when PLAIN is not offered",
    options: { auth: { username: "user", password: "secret" } },
    script: `S: 220 mx.example.org ESMTP
      C: EHLO client.example
      S: 250-mx.example.org
      S: 250 STARTTLS
      C: STARTTLS
      S: 220 Go ahead
      --- TLS ---
      C: EHLO client.example
      S: 250-mx.example.org
      S: 250 AUTH=LOGIN
      C: AUTH LOGIN
      S: 334 VXNlcm5hbWU6
      C: dXNlcg==
      S: 334 UGFzc3dvcmQ6
      C: c2VjcmV0
      S: 235 2.7.0 Authentication successful
      C: QUIT
      S: 221 Bye`,
    requests: [],
    results: [],
  },
  {
    name: "a refused AUTH means try the next host",
    options: { auth: { username: "user", password: "wrong" } },
    script: `S: 220 mx.example.org ESMTP
      C: EHLO client.example
      S: 250-mx.example.org
      S: 250 STARTTLS
      C: STARTTLS
      S: 220 Go ahead
      --- TLS ---
      C: EHLO client.example
      S: 250-mx.example.org
      S: 250 AUTH PLAIN
      C: AUTH PLAIN AHVzZXIAd3Jvbmc=
      S: 535 5.7.8 Authentication credentials invalid
      C: QUIT`,
    results: [{
      kind: "try-next-host",
      reply: ok(535, "5.7.8", "Authentication credentials invalid"),
      reason: "Authentication failed: 535 5.7.8 Authentication credentials invalid",
    }],
  },
  {
    name: "credentials are never sent without TLS",
    options: { auth: { username: "user", password: "secret" }, tls: "disabled" },
    script: `S: 220 mx.example.org ESMTP
      C: EHLO client.example
      S: 250-mx.example.org
      S: 250 AUTH PLAIN
      C: QUIT`,
    results: [{ kind: "tls-unavailable", reason: "Credentials are only sent over TLS" }],
  },
];

for (const fixture of FIXTURES) {
  Deno.test(`ClientSession ${fixture.name}, split at every byte`, () => {
    const script = parseClientScript(fixture.script);
    const options = { heloName: "client.example", ...fixture.options };
    const requests = fixture.requests ?? [REQUEST];
    const whole = runClientSession(options, script, requests);
    assert.equal(whole.sent, script.expected);
    assert.deepEqual(whole.results, fixture.results);
    const longest = Math.max(...script.server.map((segment) => segment.length));
    for (let split = 1; split < longest; split++) {
      assert.deepEqual(runClientSession(options, script, requests, split), whole, `split ${split}`);
    }
  });
}
