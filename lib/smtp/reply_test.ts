import assert from "node:assert/strict";
import { formatReply, SmtpReplyError, SmtpSyntaxError } from "./reply.ts";
import {
  authChallenge,
  badSequence,
  ehloReply,
  encryptionRequired,
  greeting,
  localError,
  mailboxUnavailable,
  queued,
  startData,
  startTlsReady,
  tooManyErrors,
} from "./replies.ts";

Deno.test("formatReply() formats a multi-line reply with enhanced codes on every line", () => {
  const reply = { code: 250, enhanced: "2.0.0", lines: ["one", "two", "three"] };
  assert.equal(
    formatReply(reply, { enhanced: true }),
    "250-2.0.0 one\r\n250-2.0.0 two\r\n250 2.0.0 three\r\n",
  );
  assert.equal(formatReply(reply, { enhanced: false }), "250-one\r\n250-two\r\n250 three\r\n");
});

Deno.test("formatReply() leaves enhanced codes off the greeting, EHLO and 3xx replies", () => {
  assert.equal(formatReply(greeting("mx"), { enhanced: true }), "220 mx ESMTP Empath\r\n");
  assert.equal(
    formatReply(ehloReply("mx", ["PIPELINING"]), { enhanced: true }),
    "250-mx\r\n250 PIPELINING\r\n",
  );
  assert.equal(
    formatReply(startData(), { enhanced: true }),
    "354 End data with <CR><LF>.<CR><LF>\r\n",
  );
  const odd = { code: 334, enhanced: "2.0.0", lines: ["x"] };
  assert.equal(formatReply(odd, { enhanced: true }), "334 x\r\n");
  assert.equal(formatReply(authChallenge(""), { enhanced: true }), "334 \r\n");
  assert.equal(
    formatReply(startTlsReady(), { enhanced: true }),
    "220 2.0.0 Ready to start TLS\r\n",
  );
});

Deno.test("formatReply() turns CR and LF in text into spaces", () => {
  const reply = { code: 550, enhanced: "5.1.1", lines: ["a\r\n250 b\nc"] };
  assert.equal(formatReply(reply, { enhanced: false }), "550 a  250 b c\r\n");
});

Deno.test("formatReply() throws RangeError for codes outside 200-599", () => {
  assert.throws(() => formatReply({ code: 199, lines: [] }, { enhanced: false }), RangeError);
  assert.throws(() => formatReply({ code: 600, lines: [] }, { enhanced: false }), RangeError);
  assert.equal(formatReply({ code: 250, lines: [] }, { enhanced: false }), "250 \r\n");
});

Deno.test("reply constructors carry the codes of the RFC 3463 table", () => {
  assert.deepEqual(badSequence(), {
    code: 503,
    enhanced: "5.5.1",
    lines: ["Error: bad sequence of commands"],
  });
  assert.deepEqual(queued("Q1"), { code: 250, enhanced: "2.0.0", lines: ["Ok: queued as Q1"] });
  assert.deepEqual(localError(), {
    code: 451,
    enhanced: "4.3.0",
    lines: ["Error: local error in processing"],
  });
  assert.deepEqual(tooManyErrors("mx"), {
    code: 421,
    enhanced: "4.7.0",
    lines: ["mx Error: too many errors"],
  });
  assert.equal(encryptionRequired().enhanced, "5.7.11");
  assert.deepEqual(mailboxUnavailable("a@b").lines, [
    "<a@b>: Recipient address rejected: mailbox unavailable",
  ]);
});

Deno.test("SmtpSyntaxError and SmtpReplyError carry their reply, name and cause", () => {
  const cause = new Error("inner");
  const syntax = new SmtpSyntaxError("Cannot parse", badSequence(), { cause });
  assert.ok(syntax instanceof SyntaxError);
  assert.equal(syntax.name, "SmtpSyntaxError");
  assert.equal(syntax.reply.code, 503);
  assert.equal(syntax.cause, cause);
  const failure = new SmtpReplyError("Spool failed", localError());
  assert.equal(failure.name, "SmtpReplyError");
  assert.equal(failure.reply.code, 451);
});
