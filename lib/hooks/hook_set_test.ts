import assert from "node:assert/strict";
import { HookSet, type InputOf } from "./hook_set.ts";
import { captureLogs, ENVELOPE, inlineHook, SESSION } from "./testing.ts";
import type { Hooks, SessionHookPhase } from "./types.ts";
import { accept, addHeaders, defer, reject } from "./verdicts.ts";

const MESSAGE = Object.freeze({
  headers: [],
  size: 0,
  body: () => ReadableStream.from<Uint8Array>([]),
  raw: () => ReadableStream.from<Uint8Array>([]),
});

/** A valid input for each session point (typed loosely: each point has its own shape). */
function inputFor(phase: SessionHookPhase): never {
  return anyInput(phase) as never;
}

function anyInput(phase: SessionHookPhase): InputOf<SessionHookPhase> {
  const context = {};
  switch (phase) {
    case "onConnect":
      return { session: SESSION, context };
    case "onHelo":
      return { session: SESSION, helo: { verb: "EHLO", domain: "client.example" }, context };
    case "onMailFrom":
      return { session: SESSION, envelope: ENVELOPE, context };
    case "onRcptTo":
      return { session: SESSION, envelope: ENVELOPE, recipient: "c@example.test", context };
    case "onData":
      return { session: SESSION, envelope: ENVELOPE, message: MESSAGE, context };
  }
}

const PHASES: SessionHookPhase[] = ["onConnect", "onHelo", "onMailFrom", "onRcptTo", "onData"];

function only(phase: SessionHookPhase, answer: () => unknown, timeoutMs = 100): HookSet {
  return new HookSet([inlineHook({ [phase]: answer } as Hooks, { timeoutMs })]);
}

Deno.test("HookSet.run() carries on, accepts, rejects and defers at each session point", async () => {
  for (const phase of PHASES) {
    assert.deepEqual(await only(phase, () => undefined).run(phase, inputFor(phase)), {
      kind: "continue",
      headers: "",
    });
    assert.deepEqual(await only(phase, accept).run(phase, inputFor(phase)), {
      kind: "continue",
      headers: "",
    });
    assert.deepEqual(
      await only(phase, () => reject(550, "5.7.1", "No")).run(phase, inputFor(phase)),
      { kind: "refuse", reply: { code: 550, enhanced: "5.7.1", lines: ["No"] } },
      phase,
    );
    assert.deepEqual(
      await only(phase, () => Promise.resolve(defer("Later"))).run(phase, inputFor(phase)),
      { kind: "refuse", reply: { code: 451, enhanced: "4.7.1", lines: ["Later"] } },
      phase,
    );
  }
});

Deno.test("HookSet.run() runs hooks in order: accept skips the rest, a refusal stops", async () => {
  const calls: string[] = [];
  const hook = (name: string, answer: () => unknown) =>
    inlineHook({ onMailFrom: () => (calls.push(name), answer()) as never }, { path: name });
  const accepting = new HookSet([hook("a", () => undefined), hook("b", accept), hook("c", accept)]);
  assert.equal((await accepting.run("onMailFrom", inputFor("onMailFrom"))).kind, "continue");
  assert.deepEqual(calls, ["a", "b"]);
  calls.length = 0;
  const refusing = new HookSet([hook("a", () => reject("No")), hook("b", accept)]);
  assert.equal((await refusing.run("onMailFrom", inputFor("onMailFrom"))).kind, "refuse");
  assert.deepEqual(calls, ["a"]);
});

Deno.test("HookSet.run() answers 451 4.3.0 and logs the hook and point when a hook throws", async () => {
  let decision;
  const logs = await captureLogs(async () => {
    decision = await new HookSet([inlineHook({
      onRcptTo: () => {
        throw new Error("database down");
      },
    }, { path: "config/hooks/broken.ts" })]).run("onRcptTo", inputFor("onRcptTo"));
  });
  assert.deepEqual(decision, {
    kind: "refuse",
    reply: { code: 451, enhanced: "4.3.0", lines: ["Error: local error in processing"] },
  });
  const error = logs.find((log) => log.level === "error");
  assert.ok(error, JSON.stringify(logs));
  assert.deepEqual(error.properties, {
    hook: "config/hooks/broken.ts",
    phase: "onRcptTo",
    error: "Error: database down",
  });
});

Deno.test("HookSet.run() answers 451 once a hanging hook's budget is spent, and abandons it", async () => {
  let aborted: unknown;
  const hanging = inlineHook({
    onData: ({ signal }) => {
      signal.addEventListener("abort", () => aborted = signal.reason);
      return new Promise(() => {}); // never settles
    },
  }, { timeoutMs: 100 });
  let decision;
  const started = performance.now();
  const logs = await captureLogs(async () => {
    decision = await new HookSet([hanging]).run("onData", inputFor("onData"));
  });
  const elapsed = performance.now() - started;
  assert.ok(elapsed >= 95 && elapsed < 2000, `${elapsed} ms`);
  assert.equal(decision!.kind === "refuse" && decision!.reply.code, 451);
  assert.ok(aborted instanceof Error && aborted.name === "HookTimeoutError");
  assert.match(JSON.stringify(logs), /HookTimeoutError: Hook did not answer within 100 ms/);
});

Deno.test("HookSet.run() answers 451 and logs an invalid reply instead of sending it", async () => {
  const invalid = [
    { action: "reject", code: 250, text: "Ok" },
    { action: "reject", code: 550, enhanced: "4.7.1", text: "class mismatch" },
    { action: "defer", code: 550, text: "not a 4xx" },
    { action: "reject", code: 550, text: "two\r\n250 lines" },
    { action: "reject", code: 550, text: "" },
    { action: "maybe" },
    "reject",
    { addHeaders: [["X-Ok", "1"]] }, // not at onRcptTo
  ];
  for (const answer of invalid) {
    let decision;
    const logs = await captureLogs(async () => {
      decision = await only("onRcptTo", () => answer).run("onRcptTo", inputFor("onRcptTo"));
    });
    assert.equal(decision!.kind === "refuse" && decision!.reply.code, 451, JSON.stringify(answer));
    assert.match(JSON.stringify(logs), /HookReplyError/, JSON.stringify(answer));
  }
});

Deno.test("HookSet.run() gathers header fields added at onData, and checks them", async () => {
  const hooks = new HookSet([
    inlineHook({ onData: () => addHeaders(["X-Spam-Score", "1.0"]) }),
    inlineHook({ onData: () => ({ addHeaders: [["X-Scanned", "yes"]] }) }),
  ]);
  assert.deepEqual(await hooks.run("onData", inputFor("onData")), {
    kind: "continue",
    headers: "X-Spam-Score: 1.0\r\nX-Scanned: yes\r\n",
  });
  const bad = only("onData", () => ({ addHeaders: [["Bad Name", "x"]] }));
  const decision = await captureLogs(async () => {
    assert.equal((await bad.run("onData", inputFor("onData"))).kind, "refuse");
  });
  assert.ok(decision.length > 0);
});

Deno.test("HookSet.run() shows frozen views that a hook cannot change, and a mutable context", async () => {
  const attempts: string[] = [];
  const hooks = new HookSet([inlineHook({
    onRcptTo: (input) => {
      const tries: [string, () => void][] = [
        ["peer", () => (input.session.peer as { ip: string }).ip = "10.0.0.1"],
        ["recipients", () => (input.envelope.recipients as string[]).push("x@example.org")],
        ["input", () => (input as { recipient: string }).recipient = "x@example.org"],
        ["helo", () => delete (input.session as { helo?: unknown }).helo],
      ];
      for (const [name, attempt] of tries) {
        try {
          attempt();
          attempts.push(`${name} changed`);
        } catch (error) {
          if (error instanceof TypeError) attempts.push(`${name} refused`);
        }
      }
      input.context.checked = true;
      input.context.score = 2.5;
    },
  })]);
  const input = { session: SESSION, envelope: ENVELOPE, recipient: "c@example.test", context: {} };
  assert.equal((await hooks.run("onRcptTo", input)).kind, "continue");
  assert.deepEqual(attempts, [
    "peer refused",
    "recipients refused",
    "input refused",
    "helo refused",
  ]);
  assert.equal(SESSION.peer.ip, "192.0.2.1");
  assert.deepEqual(input.context, { checked: true, score: 2.5 });
});

Deno.test("HookSet.notify() runs hooks that are not after_queue, logs failures, never rejects", async () => {
  const seen: string[] = [];
  const hooks = new HookSet([
    inlineHook({ onQueued: ({ envelope }) => void seen.push(envelope.messageId ?? "") }),
    inlineHook({ onQueued: () => Promise.reject(new Error("webhook down")) }, { path: "hook.ts" }),
    inlineHook({ onQueued: () => void seen.push("durable") }, { afterQueue: true }),
  ]);
  const logs = await captureLogs(async () => {
    await hooks.notify("onQueued", {
      session: SESSION,
      envelope: { ...ENVELOPE, messageId: "ID1" },
      context: {},
    });
  });
  assert.deepEqual(seen, ["ID1"]);
  assert.match(JSON.stringify(logs), /webhook down/);
  assert.deepEqual(hooks.afterQueue("onQueued").map((hook) => hook.afterQueue), [true]);
});
