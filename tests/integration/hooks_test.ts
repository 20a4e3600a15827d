import assert from "node:assert/strict";
import { bodyText, queuedId, startTestEmpath } from "../support/empath.ts";
import { hookDir, MOD_URL } from "../support/hooks.ts";
import { sendMessage, TestSmtpClient } from "../support/smtp_client.ts";
import { eventually } from "../support/wait.ts";
import { makeTestKeys, verifyWithMailauth } from "../../lib/dkim/testing.ts";

/** Connects, reads the greeting and says EHLO. */
async function session(port: number, helo = "client.test"): Promise<TestSmtpClient> {
  const client = await TestSmtpClient.connect(port);
  assert.equal((await client.reply()).code, 220);
  assert.equal((await client.command(`EHLO ${helo}`)).code, 250);
  return client;
}

Deno.test("onConnect: a reject greets with 554 and serves only QUIT, a defer greets with 421 and closes", async () => {
  await using dir = await hookDir();
  const hook = await dir.write(
    "connect.ts",
    `import { defer, reject } from "${MOD_URL}";
     export async function onConnect({ session }) {
       const mode = await Deno.readTextFile(${JSON.stringify(dir.path)} + "/mode");
       if (mode === "reject") return reject(554, "5.7.1", \`Client [\${session.peer.ip}] blocked\`);
       if (mode === "defer") return defer(421, "4.7.0", "Try again later");
     }`,
  );
  await Deno.writeTextFile(`${dir.path}/mode`, "reject");
  await using server = await startTestEmpath((config) => config.hooks = [hook]);
  {
    await using client = await TestSmtpClient.connect(server.port);
    assert.equal((await client.reply()).raw, "554 5.7.1 Client [127.0.0.1] blocked");
    assert.match((await client.command("EHLO client.test")).raw, /^503 /);
    assert.match((await client.command("MAIL FROM:<a@client.test>")).raw, /^503 /);
    assert.equal((await client.command("QUIT")).code, 221);
    assert.ok(await client.closedByServer());
  }
  await Deno.writeTextFile(`${dir.path}/mode`, "defer");
  {
    await using client = await TestSmtpClient.connect(server.port);
    assert.equal((await client.reply()).raw, "421 4.7.0 Try again later");
    assert.ok(await client.closedByServer());
  }
  await Deno.writeTextFile(`${dir.path}/mode`, "accept");
  await using client = await session(server.port);
  assert.equal((await client.command("QUIT")).code, 221);
});

Deno.test("onHelo, onMailFrom and onRcptTo accept, reject and defer commands", async () => {
  await using dir = await hookDir();
  const hook = await dir.write(
    "commands.ts",
    `import { accept, defer, reject } from "${MOD_URL}";
     export const onHelo = ({ helo }) =>
       helo.domain === "bad.test" ? reject(550, "5.7.1", "Bad HELO") :
       helo.domain === "slow.test" ? defer(450, "4.7.1", "Slow down") : undefined;
     export const onMailFrom = ({ envelope }) =>
       envelope.reversePath.startsWith("spam@") ? reject("Sender refused") :
       envelope.reversePath.startsWith("grey@") ? defer("Greylisted") : accept();
     export const onRcptTo = ({ recipient, envelope }) =>
       recipient === "nobody@localhost" ? reject(550, "5.1.1", "No such user") :
       recipient === "busy@localhost" ? defer(452, "4.2.2", "Mailbox full") :
       envelope.recipients.length >= 2 ? defer("Enough for now") : accept();`,
  );
  await using server = await startTestEmpath((config) => {
    config.hooks = [hook];
    config.policy.trustedNetworks = [];
  });
  await using client = await TestSmtpClient.connect(server.port);
  await client.reply();
  assert.equal((await client.command("EHLO bad.test")).raw, "550 Bad HELO");
  assert.equal((await client.command("EHLO slow.test")).raw, "450 Slow down");
  assert.match((await client.command("MAIL FROM:<a@client.test>")).raw, /^503 /, "no greeting yet");
  const ehlo = await client.command("EHLO good.test");
  assert.ok(ehlo.lines.some((line) => line.endsWith("PIPELINING")), ehlo.raw);
  assert.equal((await client.command("MAIL FROM:<spam@x.test>")).raw, "550 5.7.1 Sender refused");
  assert.equal((await client.command("MAIL FROM:<grey@x.test>")).raw, "451 4.7.1 Greylisted");
  assert.equal((await client.command("MAIL FROM:<a@client.test>")).code, 250);
  assert.equal((await client.command("RCPT TO:<nobody@localhost>")).raw, "550 5.1.1 No such user");
  assert.equal((await client.command("RCPT TO:<busy@localhost>")).raw, "452 4.2.2 Mailbox full");
  // Empath's relay policy comes first: a hook that accepts cannot open a relay.
  assert.match((await client.command("RCPT TO:<victim@example.org>")).raw, /^554 5\.7\.1 /);
  assert.equal((await client.command("RCPT TO:<one@localhost>")).code, 250);
  assert.equal((await client.command("RCPT TO:<two@localhost>")).code, 250);
  assert.equal((await client.command("RCPT TO:<three@localhost>")).raw, "451 4.7.1 Enough for now");
});

Deno.test("onData rejects or defers before anything is stored, or adds header fields to the stored message", async () => {
  await using dir = await hookDir();
  const hook = await dir.write(
    "content.ts",
    `import { addHeaders, defer, reject } from "${MOD_URL}";
     export const onConnect = ({ context }) => { context.connected = true; };
     export const onRcptTo = ({ context, recipient }) => { context.lastRecipient = recipient; };
     export async function onData({ message, envelope, context }) {
       const subject = message.headers.find(([name]) => name.toLowerCase() === "subject")?.[1] ?? "";
       const body = await new Response(message.body()).text();
       if (subject.includes("spam")) return reject(550, "5.7.1", "Looks like spam");
       if (body.includes("later")) return defer("Scanner busy");
       context.bodyBytes = body.length;
       context.firstHeader = message.headers[0][0];
       return addHeaders(["X-Spam-Score", "1.0"], ["X-Scanned-Id", envelope.messageId]);
     }`,
  );
  await using server = await startTestEmpath((config) => config.hooks = [hook]);
  await using client = await session(server.port);
  const envelope = { from: "a@client.test", to: ["b@localhost"] };
  const spam = await sendMessage(client, { ...envelope, body: "Subject: cheap spam\r\n\r\nbuy" });
  assert.equal(spam.raw, "550 5.7.1 Looks like spam");
  const later = await sendMessage(client, { ...envelope, body: "Subject: hi\r\n\r\nlater" });
  assert.equal(later.raw, "451 4.7.1 Scanner busy");
  assert.equal(await server.empath.queue.count(), 0, "refused messages are not stored");
  const body = "Subject: hello\r\n\r\nline one\r\n";
  const id = queuedId(await sendMessage(client, { ...envelope, body }));
  const stored = await bodyText(server.empath, id);
  assert.ok(
    stored.startsWith(`X-Spam-Score: 1.0\r\nX-Scanned-Id: ${id}\r\nReceived: from client.test`),
    stored,
  );
  const record = await server.empath.queue.get(id);
  assert.equal(record?.size, new TextEncoder().encode(stored).length);
  assert.deepEqual(record?.hookContext, {
    connected: true,
    lastRecipient: "b@localhost",
    bodyBytes: "line one\r\n\r\n".length,
    firstHeader: "Received",
  });
});

Deno.test("a header field added at onData sits above the DKIM signature, which still verifies", async () => {
  await using dir = await hookDir();
  await using keys = await makeTestKeys([{ algorithm: "ed25519" }]);
  const hook = await dir.write(
    "tag.ts",
    `export const onData = () => ({ addHeaders: [["X-Policy", "checked"]] });`,
  );
  await using server = await startTestEmpath((config) => {
    config.hooks = [hook];
    config.dkim = keys.configs;
  });
  await using client = await session(server.port);
  const body = "From: alice@example.test\r\nTo: bob@localhost\r\nSubject: signed\r\n\r\nHello\r\n";
  const id = queuedId(
    await sendMessage(client, { from: "alice@example.test", to: ["bob@localhost"], body }),
  );
  const stored = new TextEncoder().encode(await bodyText(server.empath, id));
  assert.match(new TextDecoder().decode(stored), /^X-Policy: checked\r\nDKIM-Signature: /);
  const verdicts = await verifyWithMailauth(stored, keys.records);
  assert.deepEqual(verdicts.map((v) => v.result), ["pass"]);
});

Deno.test("onData setPriority() overrides the X-Priority header; an out-of-range priority gets 451", async () => {
  await using dir = await hookDir();
  const hook = await dir.write(
    "priority.ts",
    `import { setPriority } from "${MOD_URL}";
     export const onData = ({ envelope }) =>
       envelope.recipients.some((r) => r.startsWith("vip@")) ? setPriority(9)
       : envelope.recipients.some((r) => r.startsWith("bad@")) ? setPriority(12)
       : undefined;`,
  );
  await using server = await startTestEmpath((config) => void (config.hooks = [hook]));
  await using client = await session(server.port);
  const send = (to: string) =>
    sendMessage(client, { from: "a@origin.test", to: [to], body: "X-Priority: 5\r\n\r\nx" });
  const vip = await send("vip@localhost");
  assert.equal((await server.empath.queue.get(queuedId(vip)))!.priority, 9);
  const plain = await send("plain@localhost");
  assert.equal((await server.empath.queue.get(queuedId(plain)))!.priority, 2); // X-Priority: 5
  const bad = await send("bad@localhost");
  assert.equal(bad.code, 451);
  assert.match(bad.raw, /4\.3\.0/);
});

Deno.test("a throwing hook or one over its time budget gets 451 4.3.0, and the server goes on", async () => {
  await using dir = await hookDir();
  const hook = await dir.write(
    "faulty.ts",
    `export function onRcptTo({ recipient }) {
       if (recipient.startsWith("throw@")) throw new Error("lookup failed");
       if (recipient.startsWith("hang@")) return new Promise(() => {});
       if (recipient.startsWith("bad@")) return { action: "reject", code: 250, text: "nonsense" };
     }`,
    { timeout: 100 },
  );
  await using server = await startTestEmpath((config) => config.hooks = [hook]);
  await using client = await session(server.port);
  await client.command("MAIL FROM:<a@client.test>");
  const local = "451 4.3.0 Error: local error in processing";
  assert.equal((await client.command("RCPT TO:<throw@localhost>")).raw, local);
  const started = performance.now();
  assert.equal((await client.command("RCPT TO:<hang@localhost>")).raw, local);
  assert.ok(performance.now() - started >= 90, "answered once the 100 ms budget was spent");
  assert.equal((await client.command("RCPT TO:<bad@localhost>")).raw, local);
  assert.equal((await client.command("RCPT TO:<fine@localhost>")).code, 250);
  await using other = await session(server.port);
  assert.equal((await other.command("NOOP")).code, 250);
});

Deno.test("onQueued without after_queue runs after the 250 with the stored context", async () => {
  await using dir = await hookDir();
  const hook = await dir.write(
    "notify.ts",
    `export const onMailFrom = ({ context }) => { context.tenant = "acme"; };
     export async function onQueued({ envelope, context, session }) {
       await Deno.writeTextFile(${JSON.stringify(dir.path)} + "/queued.json",
         JSON.stringify({ id: envelope.messageId, context, listener: session.listener, frozen: Object.isFrozen(context) }));
     }`,
  );
  await using server = await startTestEmpath((config) => config.hooks = [hook]);
  await using client = await session(server.port);
  const id = queuedId(
    await sendMessage(client, { from: "a@client.test", to: ["b@localhost"], body: "hi" }),
  );
  const written = await eventually(() => dir.read("queued.json"));
  assert.deepEqual(JSON.parse(written), {
    id,
    context: { tenant: "acme" },
    listener: "smtp",
    frozen: true,
  });
});
