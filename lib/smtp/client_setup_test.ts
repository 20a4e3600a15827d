import assert from "node:assert/strict";
import { NO_CAPABILITIES } from "./client_capabilities.ts";
import { helloStep, setupReplyStep, type SetupState } from "./client_setup.ts";

const STATE: SetupState = {
  options: { heloName: "client.example" },
  tls: false,
  tlsRefused: false,
  caps: NO_CAPABILITIES,
};

Deno.test("helloStep() says EHLO, LHLO for LMTP, or the verb given", () => {
  assert.equal(helloStep({ heloName: "c.example" }).send, "EHLO c.example");
  assert.equal(helloStep({ heloName: "c.example", lmtp: true }).send, "LHLO c.example");
  assert.deepEqual(helloStep({ heloName: "c.example" }, "HELO"), {
    kind: "continue",
    send: "HELO c.example",
    phase: { name: "hello", verb: "HELO" },
  });
});

Deno.test("setupReplyStep() answers the greeting with EHLO or fails by reply class", () => {
  const greeting = { name: "greeting" } as const;
  assert.equal(
    setupReplyStep({ code: 220, lines: ["mx"] }, greeting, STATE).send,
    "EHLO client.example",
  );
  const refused = setupReplyStep({ code: 554, lines: ["No"] }, greeting, STATE);
  assert.equal(refused.kind === "fail" && refused.failure, "try-next-host");
  const odd = setupReplyStep({ code: 250, lines: ["Hi"] }, greeting, STATE);
  assert.equal(odd.kind === "fail" && odd.failure, "protocol-error");
});

Deno.test("setupReplyStep() falls back to HELO when EHLO gets 5xx, and records EHLO extensions", () => {
  const hello = { name: "hello", verb: "EHLO" } as const;
  assert.equal(
    setupReplyStep({ code: 502, lines: ["No"] }, hello, STATE).send,
    "HELO client.example",
  );
  const accepted = setupReplyStep({ code: 250, lines: ["mx", "STARTTLS"] }, hello, STATE);
  assert.equal(accepted.caps?.starttls, true);
  assert.deepEqual({ send: accepted.send, kind: accepted.kind }, {
    send: "STARTTLS",
    kind: "continue",
  });
});

Deno.test("setupReplyStep() drops buffered replies after 220 to STARTTLS", () => {
  const step = setupReplyStep({ code: 220, lines: ["Go"] }, { name: "starttls" }, STATE);
  assert.deepEqual(step, { kind: "continue", discardBuffered: true, phase: { name: "handshake" } });
});

Deno.test("setupReplyStep() goes on in plaintext when opportunistic STARTTLS is refused", () => {
  const step = setupReplyStep({ code: 454, lines: ["No"] }, { name: "starttls" }, STATE);
  assert.deepEqual(step, { kind: "continue", tlsRefused: true, phase: { name: "idle" } });
  const required = { ...STATE, options: { ...STATE.options, tls: "required" as const } };
  const failed = setupReplyStep({ code: 454, lines: ["No"] }, { name: "starttls" }, required);
  assert.equal(failed.kind === "fail" && failed.failure, "tls-unavailable");
});

Deno.test("setupReplyStep() cancels a LOGIN exchange it cannot continue with *", () => {
  const state = {
    ...STATE,
    tls: true,
    options: { ...STATE.options, auth: { username: "u", password: "p" } },
  };
  const step = setupReplyStep({ code: 334, lines: ["?"] }, { name: "auth", step: "plain" }, state);
  assert.equal(step.kind, "fail");
  assert.equal(step.send, "*");
});
