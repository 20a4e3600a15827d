import assert from "node:assert/strict";
import { ConfigError, defaultConfig } from "../../lib/config/mod.ts";
import { startEmpath } from "../../lib/app.ts";
import { queuedId, startTestEmpath } from "../support/empath.ts";
import { hookDir } from "../support/hooks.ts";
import { sendMessage, TestSmtpClient } from "../support/smtp_client.ts";
import { eventually } from "../support/wait.ts";

async function session(port: number): Promise<TestSmtpClient> {
  const client = await TestSmtpClient.connect(port);
  await client.reply();
  await client.command("EHLO client.test");
  return client;
}

Deno.test("an after_queue onQueued task cut off by a stop runs at the next start", async () => {
  await using dir = await hookDir();
  const files = JSON.stringify(dir.path);
  const hook = await dir.write(
    "durable.ts",
    `export async function onQueued({ envelope, context }) {
       const blocked = await Deno.stat(${files} + "/block").then(() => true, () => false);
       if (blocked) {
         await Deno.writeTextFile(${files} + "/started", envelope.messageId);
         return await new Promise(() => {}); // hangs until Empath stops and abandons it
       }
       await Deno.writeTextFile(${files} + "/ran", JSON.stringify({ id: envelope.messageId, context }));
     }
     export const onRcptTo = ({ context }) => { context.seen = 1; };`,
    { afterQueue: true, timeout: 60_000 },
  );
  const queuePath = `${dir.path}/queue.kv`;
  await Deno.writeTextFile(`${dir.path}/block`, "");
  let id: string;
  {
    await using first = await startTestEmpath((config) => {
      config.hooks = [hook];
      config.queue.path = queuePath;
    });
    await using client = await session(first.port);
    const reply = await sendMessage(client, {
      from: "a@client.test",
      to: ["b@localhost"],
      body: "x",
    });
    id = queuedId(reply); // the 250 did not wait for the hook
    assert.equal(await eventually(() => dir.read("started")), id);
  } // stopped while the hook hangs: its task stays in the queue
  await Deno.remove(`${dir.path}/block`);
  assert.equal(await dir.read("ran"), undefined);
  await using second = await startTestEmpath((config) => {
    config.hooks = [hook];
    config.queue.path = queuePath;
  });
  const ran = JSON.parse(await eventually(() => dir.read("ran")));
  assert.deepEqual(ran, { id, context: { seen: 1 } });
  await eventually(async () =>
    (await second.empath.queue.dueTasks(Date.now() + 1e9, 10)).length === 0
  );
});

Deno.test("onDeliveryResult (after_queue) sees each delivered recipient and the stored context", async () => {
  await using dir = await hookDir();
  const hook = await dir.write(
    "results.ts",
    `export const onMailFrom = ({ context }) => { context.campaign = "spring"; };
     export async function onDeliveryResult({ messageId, results, context }) {
       await Deno.writeTextFile(${JSON.stringify(dir.path)} + "/results.json",
         JSON.stringify({ messageId, results: results.map((r) => [r.recipient, r.status, r.attempt]), context }));
     }`,
    { afterQueue: true },
  );
  await using server = await startTestEmpath((config) => {
    config.hooks = [hook];
    config.delivery.enabled = true; // localhost goes to the test's maildir
  });
  await using client = await session(server.port);
  const id = queuedId(
    await sendMessage(client, { from: "a@client.test", to: ["bob@localhost"], body: "hi" }),
  );
  const written = JSON.parse(await eventually(() => dir.read("results.json")));
  assert.deepEqual(written, {
    messageId: id,
    results: [["bob@localhost", "delivered", 1]],
    context: { campaign: "spring" },
  });
});

Deno.test("a reload swaps hooks without dropping sessions; an open transaction keeps its hooks", async () => {
  await using dir = await hookDir();
  const version = (v: string) =>
    `export const onRcptTo = ({ recipient }) =>
       recipient === "blocked@localhost" ? { action: "reject", code: 550, text: "${v} says no" } : undefined;`;
  const hook = await dir.write("policy.ts", version("v1"));
  await using server = await startTestEmpath((config) => config.hooks = [hook]);
  await using client = await session(server.port);
  await client.command("MAIL FROM:<a@client.test>");
  assert.equal((await client.command("RCPT TO:<blocked@localhost>")).raw, "550 v1 says no");
  await dir.write("policy.ts", version("v2"));
  await server.empath.reload(server.config);
  // The transaction began under v1 and ends under v1.
  assert.equal((await client.command("RCPT TO:<blocked@localhost>")).raw, "550 v1 says no");
  assert.equal((await client.command("RSET")).code, 250);
  await client.command("MAIL FROM:<a@client.test>");
  assert.equal((await client.command("RCPT TO:<blocked@localhost>")).raw, "550 v2 says no");
  // A module that cannot load refuses the reload; v2 stays in force.
  await dir.write("policy.ts", "export const onRcptTo = (;");
  await assert.rejects(server.empath.reload(server.config), ConfigError);
  await client.command("RSET");
  await client.command("MAIL FROM:<a@client.test>");
  assert.equal((await client.command("RCPT TO:<blocked@localhost>")).raw, "550 v2 says no");
  assert.equal(server.empath.connections().length, 1, "the session was never dropped");
});

Deno.test("startEmpath() refuses a hook module that does not load with a ConfigError naming it", async () => {
  await using dir = await hookDir();
  const hook = await dir.write(
    "broken.ts",
    'import "./missing_dependency.ts";\nexport const onHelo = () => {};',
  );
  const config = defaultConfig();
  config.listen = [{
    address: "127.0.0.1:0",
    name: "smtp",
    starttls: false,
    auth: "disabled",
    dsn: true,
  }];
  config.queue.path = `${dir.path}/queue.kv`;
  config.control.listen = "127.0.0.1:0";
  config.observe.audit.enabled = false;
  config.hooks = [hook];
  const error = await startEmpath(config, { configPath: "empath.toml" }).then(
    async (empath) => {
      await empath.stop(0);
      return undefined;
    },
    (error) => error,
  );
  assert.ok(error instanceof ConfigError, String(error));
  assert.match(
    error.message,
    /^empath\.toml: hooks\[0\]\.path: Cannot load hook module ".*broken\.ts": /,
  );
  assert.equal(error.message.split("\n").length, 1);
  assert.equal(await dir.read("queue.kv"), undefined, "nothing was opened");
});
