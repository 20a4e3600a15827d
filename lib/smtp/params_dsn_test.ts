import assert from "node:assert/strict";
import { formatMailParams, formatRcptParams, parseMailParams, parseRcptParams } from "./params.ts";
import { SmtpSyntaxError } from "./reply.ts";

function mail(text: string) {
  return parseMailParams(text, `MAIL FROM:<> ${text}`);
}

function rcpt(text: string) {
  return parseRcptParams(text, `RCPT TO:<a@b.example> ${text}`);
}

function refusal(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    if (error instanceof SmtpSyntaxError) return `${error.reply.code} ${error.reply.enhanced}`;
    throw error;
  }
  return "accepted";
}

Deno.test("parseMailParams() reads RET and ENVID, case-insensitively, ENVID decoded", () => {
  assert.deepEqual(mail("ret=full ENVID=QQ+2B314"), {
    smtputf8: false,
    ret: "FULL",
    envid: "QQ+314",
  });
  assert.deepEqual(mail("RET=Hdrs"), { smtputf8: false, ret: "HDRS" });
  assert.equal(mail(`ENVID=${"x".repeat(100)}`).envid?.length, 100);
});

Deno.test("parseMailParams() refuses bad RET and ENVID values and duplicates with 501 5.5.4", () => {
  for (
    const bad of [
      "RET",
      "RET=ALL",
      "ENVID",
      "ENVID=a+2",
      "ENVID=a+0A",
      `ENVID=${"x".repeat(101)}`,
      "RET=FULL RET=HDRS",
      "ENVID=a envid=b",
    ]
  ) {
    assert.equal(refusal(() => mail(bad)), "501 5.5.4", bad);
  }
});

Deno.test("parseRcptParams() reads NOTIFY in canonical order and NEVER alone", () => {
  assert.deepEqual(rcpt("NOTIFY=never"), { notify: ["NEVER"] });
  assert.deepEqual(rcpt("notify=Delay,SUCCESS,failure"), {
    notify: ["SUCCESS", "FAILURE", "DELAY"],
  });
  assert.deepEqual(rcpt("NOTIFY=FAILURE"), { notify: ["FAILURE"] });
});

Deno.test("parseRcptParams() reads ORCPT of type rfc822 and utf-8, decoded", () => {
  assert.deepEqual(rcpt("ORCPT=rfc822;a+2Bb@example.org"), { orcpt: "rfc822;a+b@example.org" });
  assert.deepEqual(rcpt("ORCPT=RFC822;a@example.org NOTIFY=SUCCESS"), {
    orcpt: "rfc822;a@example.org",
    notify: ["SUCCESS"],
  });
  assert.deepEqual(rcpt("ORCPT=utf-8;j\\x{F6}rg@example.org"), { orcpt: "utf-8;jörg@example.org" });
});

Deno.test("parseRcptParams() refuses bad NOTIFY and ORCPT values and duplicates with 501 5.5.4", () => {
  for (
    const bad of [
      "NOTIFY",
      "NOTIFY=",
      "NOTIFY=NEVER,SUCCESS",
      "NOTIFY=SUCCESS,SUCCESS",
      "NOTIFY=SOMETIMES",
      "NOTIFY=SUCCESS,",
      "ORCPT",
      "ORCPT=a@b",
      "ORCPT=x400;a@b",
      "ORCPT=rfc822;",
      "ORCPT=rfc822;a+0Db",
      "ORCPT=utf-8;a\\x{0A}",
      `ORCPT=rfc822;${"a".repeat(494)}`,
      "NOTIFY=NEVER notify=FAILURE",
      "ORCPT=rfc822;a ORCPT=rfc822;b",
    ]
  ) {
    assert.equal(refusal(() => rcpt(bad)), "501 5.5.4", bad);
  }
  assert.deepEqual(rcpt(`ORCPT=rfc822;${"a".repeat(493)}`).orcpt?.length, 7 + 493);
  assert.equal(refusal(() => rcpt("FOO=1")), "555 5.5.4");
});

Deno.test("formatMailParams() and formatRcptParams() write the DSN parameters xtext-encoded", () => {
  assert.equal(
    formatMailParams({ smtputf8: false, ret: "HDRS", envid: "id 1+2" }),
    " RET=HDRS ENVID=id+201+2B2",
  );
  assert.equal(
    formatRcptParams({ notify: ["SUCCESS", "DELAY"], orcpt: "rfc822;a=b@example.org" }),
    " NOTIFY=SUCCESS,DELAY ORCPT=rfc822;a+3Db@example.org",
  );
  assert.equal(
    formatRcptParams({ orcpt: "utf-8;jörg@example.org" }),
    " ORCPT=utf-8;j\\x{F6}rg@example.org",
  );
  const line = `RCPT TO:<a@b>${formatRcptParams({ orcpt: "rfc822;x y+z" })}`;
  assert.deepEqual(parseRcptParams(line.slice(14), line), { orcpt: "rfc822;x y+z" });
});
