import assert from "node:assert/strict";
import fc from "fast-check";
import { SmtpReplyError } from "../smtp/mod.ts";
import { classifyError, classifyReply, outcomeStatus } from "./classify.ts";

Deno.test("classifyReply() delivers on 2xx", () => {
  const reply = { code: 250, enhanced: "2.0.0", lines: ["Ok: queued as X"] };
  assert.deepEqual(classifyReply(reply), { kind: "delivered", reply });
});

Deno.test("classifyReply() defers 4xx and fails 5xx with a readable reason", () => {
  const later = { code: 451, enhanced: "4.7.1", lines: ["Greylisted", "try later"] };
  assert.deepEqual(classifyReply(later), {
    kind: "deferred",
    reply: later,
    reason: "451 4.7.1 Greylisted try later",
  });
  const unknown = { code: 550, lines: ["No such user"] };
  assert.deepEqual(classifyReply(unknown), {
    kind: "failed",
    reply: unknown,
    reason: "550 No such user",
  });
});

Deno.test("classifyReply() follows the basic code when the enhanced class disagrees", () => {
  assert.equal(classifyReply({ code: 550, enhanced: "4.2.2", lines: ["full"] }).kind, "failed");
  assert.equal(classifyReply({ code: 451, enhanced: "5.7.1", lines: ["no"] }).kind, "deferred");
});

Deno.test("classifyReply() defers 552 5.5.3 too many recipients (RFC 5321 §4.5.3.1.10)", () => {
  assert.equal(
    classifyReply({ code: 552, enhanced: "5.5.3", lines: ["Too many"] }).kind,
    "deferred",
  );
  assert.equal(classifyReply({ code: 552, enhanced: "5.3.4", lines: ["Too big"] }).kind, "failed");
});

Deno.test("classifyReply() defers protocol errors: 3xx and codes out of range", () => {
  for (const code of [354, 199, 600, 0, 25.5]) {
    const outcome = classifyReply({ code, lines: ["odd"] });
    assert.equal(outcome.kind, "deferred", `code ${code}`);
    assert.match((outcome as { reason: string }).reason, /^Unexpected reply: /);
  }
});

Deno.test("classifyReply() keeps reasons on one bounded line", () => {
  const outcome = classifyReply({ code: 554, lines: ["a\r\nb", "x".repeat(1000)] });
  assert.equal(outcome.kind, "failed");
  const { reason } = outcome as { reason: string };
  assert.ok(reason.length <= 300);
  assert.doesNotMatch(reason, /[\r\n]/);
});

Deno.test("classifyReply() decides by the first digit whatever the enhanced code (property)", () => {
  const enhanced = fc.option(fc.stringMatching(/^[245]\.[0-9]\.[0-9]$/), { nil: undefined });
  fc.assert(fc.property(fc.integer({ min: 200, max: 599 }), enhanced, (code, status) => {
    const { kind } = classifyReply({ code, enhanced: status, lines: ["x"] });
    if (code < 300) return kind === "delivered";
    if (code < 500 || (code === 552 && status === "5.5.3")) return kind === "deferred";
    return kind === "failed";
  }));
});

Deno.test("classifyError() defers network and DNS errors", () => {
  assert.deepEqual(classifyError(new Deno.errors.ConnectionRefused("refused")), {
    kind: "deferred",
    reason: "ConnectionRefused: refused",
  });
  assert.deepEqual(classifyError("boom"), { kind: "deferred", reason: "Unknown error: boom" });
  assert.equal(classifyError(new TypeError("bug")).kind, "deferred");
});

Deno.test("classifyError() classifies an SmtpReplyError by its reply", () => {
  const reply = { code: 554, enhanced: "5.7.1", lines: ["Rejected"] };
  assert.deepEqual(classifyError(new SmtpReplyError("Rejected at greeting", reply)), {
    kind: "failed",
    reply,
    reason: "554 5.7.1 Rejected",
  });
  const ok = { code: 250, lines: ["Ok"] };
  assert.deepEqual(classifyError(new SmtpReplyError("Lost after 250", ok)), {
    kind: "deferred",
    reply: ok,
    reason: "Lost after 250",
  });
});

Deno.test("outcomeStatus() uses the enhanced code only when its class agrees", () => {
  const reply = { code: 550, enhanced: "5.1.1", lines: ["x"] };
  assert.equal(outcomeStatus({ kind: "failed", reply, reason: "" }), "5.1.1");
  const odd = { code: 550, enhanced: "4.2.2", lines: ["x"] };
  assert.equal(outcomeStatus({ kind: "failed", reply: odd, reason: "" }), "5.0.0");
  assert.equal(outcomeStatus({ kind: "deferred", reason: "timeout" }), "4.0.0");
  assert.equal(outcomeStatus({ kind: "delivered", reply: { code: 250, lines: [] } }), "2.0.0");
});
