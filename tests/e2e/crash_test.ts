import assert from "node:assert/strict";
import { openKvQueue } from "../../lib/queue/mod.ts";
import { spawnEmpath } from "../support/process.ts";
import { TestSmtpClient } from "../support/smtp_client.ts";

const CONFIG = (dir: string) => `
hostname = "crash.empath.test"
[[listen]]
address = "127.0.0.1:0"
[control]
listen = "127.0.0.1:0"
token_file = "${dir}/control.token"
[queue]
path = "${dir}/queue.kv"
[delivery]
enabled = false
[observe.log]
level = "info"
`;

/** A body whose every byte derives from `token`, so a damaged copy is detected. */
function bodyFor(token: string, size: number): string {
  const line = `${token} ${"abcdefghijklmnopqrstuvwxyz0123456789".repeat(2)}\r\n`;
  let body = `Subject: ${token}\r\n\r\n`;
  while (body.length < size) body += line;
  return body + `END ${token}`;
}

const SIZES = [200, 5_000, 70_000, 150_000];

async function sendLoop(
  port: number,
  worker: number,
  acked: Map<string, string>,
  stop: { now: boolean },
) {
  let n = 0;
  while (!stop.now) {
    let client: TestSmtpClient | undefined;
    try {
      client = await TestSmtpClient.connect(port);
      await client.reply();
      await client.command("EHLO load.test");
      while (!stop.now) {
        const token = `w${worker}m${n++}`;
        await client.command("MAIL FROM:<load@load.test>");
        await client.command("RCPT TO:<sink@localhost>");
        await client.command("DATA");
        await client.write(bodyFor(token, SIZES[n % SIZES.length]) + "\r\n.\r\n");
        const reply = await client.reply();
        const match = /queued as (\S+)/.exec(reply.raw);
        if (reply.code === 250 && match) acked.set(match[1], token);
      }
    } catch {
      return; // the server was killed
    } finally {
      client?.close();
    }
  }
}

Deno.test("every message answered 250 survives SIGKILL at random points under load", async () => {
  const dir = await Deno.makeTempDir({ prefix: "empath-crash-" });
  const configPath = `${dir}/empath.toml`;
  await Deno.writeTextFile(configPath, CONFIG(dir));
  const acked = new Map<string, string>();
  try {
    for (let round = 0; round < 3; round++) {
      const proc = await spawnEmpath({ cwd: dir, config: configPath });
      const stop = { now: false };
      const loops = [0, 1, 2, 3, 4, 5].map((w) => sendLoop(proc.port, round * 10 + w, acked, stop));
      await new Promise((resolve) => setTimeout(resolve, 400 + Math.random() * 800));
      await proc.stop("SIGKILL");
      stop.now = true;
      await Promise.all(loops);
    }
    assert.ok(acked.size > 20, `enough messages were acknowledged (${acked.size})`);
    // Restart once more: startup must clean orphans and hold every acknowledged message.
    const proc = await spawnEmpath({ cwd: dir, config: configPath });
    assert.equal((await proc.stop("SIGTERM")).code, 0);
    await using queue = await openKvQueue(`${dir}/queue.kv`, { clock: { now: () => Date.now() } });
    assert.equal(await queue.cleanupOrphans(), 0, "startup already removed orphan chunks");
    for (const [id, token] of acked) {
      const message = await queue.get(id);
      assert.ok(message, `acknowledged message ${id} is present`);
      const body = await new Response(queue.readBody(id)).text();
      assert.ok(body.endsWith(`END ${token}\r\n`), `body of ${id} is intact`);
    }
    // Messages committed just before a kill (no 250 seen) may exist, but only complete.
    let cursor: string | undefined;
    do {
      const page = await queue.list(undefined, { cursor, limit: 200 });
      for (const message of page.messages) {
        const body = await new Response(queue.readBody(message.id)).text();
        assert.equal(new TextEncoder().encode(body).length, message.size);
        assert.match(body, /END w\d+m\d+\r\n$/, `message ${message.id} is complete`);
      }
      cursor = page.cursor;
    } while (cursor);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
