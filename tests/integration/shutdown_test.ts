import assert from "node:assert/strict";
import { DEFAULT_GRACE_MS, startEmpath } from "../../lib/app.ts";
import { defaultConfig } from "../../lib/config/mod.ts";
import { queuedId, startTestEmpath } from "../support/empath.ts";
import { TestSmtpClient } from "../support/smtp_client.ts";

const SHUTTING_DOWN_REGEXP = /^421 4\.3\.2 mx\.empath\.test Service shutting down/;

async function greeted(port: number): Promise<TestSmtpClient> {
  const client = await TestSmtpClient.connect(port);
  assert.equal((await client.reply()).code, 220);
  assert.equal((await client.command("EHLO shutdown.test")).code, 250);
  return client;
}

async function inData(port: number): Promise<TestSmtpClient> {
  const client = await greeted(port);
  await client.command("MAIL FROM:<a@shutdown.test>");
  await client.command("RCPT TO:<b@localhost>");
  assert.equal((await client.command("DATA")).code, 354);
  await client.write("Subject: in flight\r\n\r\nfirst half\r\n");
  return client;
}

Deno.test("stop(): new and idle sessions get 421 4.3.2 at once, a transaction may finish, a stalled one is cut at the grace", async () => {
  await using test = await startTestEmpath();
  const { empath, port } = test;
  await using idle = await greeted(port);
  await using finishing = await inData(port);
  await using stalled = await inData(port);
  const ready = () => fetch(`http://127.0.0.1:${empath.control.port}/readyz`);
  assert.equal((await ready()).status, 200);

  const started = performance.now();
  const stopped = empath.stop(1500);
  assert.match((await idle.reply()).raw, SHUTTING_DOWN_REGEXP);
  assert.ok(await idle.closedByServer());

  // The socket stays bound: a new client reads a 421 instead of a refused connection.
  await using late = await TestSmtpClient.connect(port);
  assert.match((await late.reply()).raw, SHUTTING_DOWN_REGEXP);
  const readiness = await ready();
  assert.equal(readiness.status, 503);
  assert.deepEqual(await readiness.json(), { status: "shutting-down" });

  await finishing.write("second half\r\n.\r\n");
  const id = queuedId(await finishing.reply());
  assert.match((await finishing.reply()).raw, SHUTTING_DOWN_REGEXP, "then closed as idle");

  assert.match((await stalled.reply(5000)).raw, SHUTTING_DOWN_REGEXP);
  assert.ok(performance.now() - started >= 1400, "the stalled transaction had its grace");
  await stopped;
  assert.ok(performance.now() - started < 1500 + 3000, "stopped soon after the grace");
  await assert.rejects(TestSmtpClient.connect(port), "the socket closes once stopped");

  // The finished message was committed before its 250, the cut one was not.
  const again = await startEmpath(test.config);
  try {
    assert.equal(await again.queue.count(), 1);
    assert.ok(await again.queue.get(id));
  } finally {
    await again.stop(0);
  }
});

Deno.test("DEFAULT_GRACE_MS is the default of shutdown_grace", () => {
  assert.equal(defaultConfig().shutdownGrace, DEFAULT_GRACE_MS);
});
