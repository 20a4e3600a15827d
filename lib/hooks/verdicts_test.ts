import assert from "node:assert/strict";
import { accept, addHeaders, checkResult, defer, HookReplyError, reject } from "./verdicts.ts";

Deno.test("reject() and defer() build replies with defaults and given codes", () => {
  assert.deepEqual(checkResult("onRcptTo", reject("No such user")), {
    kind: "refuse",
    reply: { code: 550, enhanced: "5.7.1", lines: ["No such user"] },
  });
  assert.deepEqual(checkResult("onRcptTo", reject(554, "5.7.1", "Blocked")).kind, "refuse");
  assert.deepEqual(checkResult("onMailFrom", defer("Greylisted")), {
    kind: "refuse",
    reply: { code: 451, enhanced: "4.7.1", lines: ["Greylisted"] },
  });
  assert.deepEqual(checkResult("onMailFrom", defer(421, undefined, "Bye")), {
    kind: "refuse",
    reply: { code: 421, lines: ["Bye"] },
  });
  assert.deepEqual(checkResult("onHelo", accept()), { kind: "accept" });
  assert.deepEqual(checkResult("onHelo", undefined), { kind: "continue" });
});

Deno.test("reject() and defer() refuse codes, enhanced codes and texts that are not valid", () => {
  assert.throws(() => reject(450, "4.7.1", "temporary"), HookReplyError);
  assert.throws(() => reject(560, undefined, "second digit 6"), HookReplyError);
  assert.throws(() => reject(550, "5.7", "short"), HookReplyError);
  assert.throws(() => reject(550, "5.07.1", "leading zero"), HookReplyError);
  assert.throws(() => defer(550, undefined, "permanent"), HookReplyError);
  assert.throws(() => defer(451, "5.7.1", "wrong class"), HookReplyError);
  assert.throws(() => reject("line\r\n250 smuggled"), HookReplyError);
  assert.throws(() => reject("caf\u00e9"), HookReplyError);
  assert.throws(() => reject("x".repeat(401)), HookReplyError);
});

Deno.test("addHeaders() accepts one-line printable fields only, and only at onData", () => {
  assert.deepEqual(checkResult("onData", addHeaders(["X-Spam-Score", "1.0"], ["X-A", ""])), {
    kind: "headers",
    text: "X-Spam-Score: 1.0\r\nX-A: \r\n",
  });
  assert.throws(() => addHeaders(["X-Bad:", "x"]), HookReplyError);
  assert.throws(() => addHeaders(["X-Bad", "a\r\nBcc: victim@example.org"]), HookReplyError);
  assert.throws(() => addHeaders(["X-Long", "x".repeat(1000)]), HookReplyError);
  assert.throws(() => checkResult("onData", { addHeaders: "X-A: 1" } as never), HookReplyError);
  assert.throws(() => checkResult("onMailFrom", addHeaders(["X-A", "1"])), HookReplyError);
  const many = Array.from({ length: 80 }, (_, i) => [`X-Field-${i}`, "y".repeat(50)] as const);
  assert.throws(() => addHeaders(...many), HookReplyError);
});
