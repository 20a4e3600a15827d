// The hot backup of docs/OPERATIONS.md ("Backing up the queue"): sqlite3 copies the Deno KV
// file while the daemon keeps accepting mail, and the copy is a complete queue.
import assert from "node:assert/strict";
import { openKvQueue } from "../../lib/queue/mod.ts";
import { queuedId } from "../support/empath.ts";
import { run, skipWithout } from "../support/peers.ts";
import { spawnEmpath } from "../support/process.ts";
import { sendMessage, TestSmtpClient } from "../support/smtp_client.ts";
import { eventually } from "../support/wait.ts";

const SENDERS = 4;
const FILLER = "x".repeat(76) + "\r\n";

/** A body of about 8 KB naming its sender and sequence number, to check the copy byte for byte. */
function bodyOf(marker: string): string {
  return `Subject: ${marker}\r\n\r\n${marker}\r\n${FILLER.repeat(100)}end of ${marker}`;
}

/** Sends messages on one connection until `stop()` says so; records each acknowledged id. */
async function sendUntil(
  port: number,
  sender: number,
  options: { stop: () => boolean; acked: Map<string, string> },
): Promise<void> {
  await using client = await TestSmtpClient.connect(port);
  await client.reply();
  await client.command(`EHLO sender${sender}.test`);
  for (let n = 0; !options.stop(); n++) {
    const marker = `sender ${sender} message ${n}`;
    const reply = await sendMessage(client, {
      from: `s${sender}@backup.test`,
      to: ["user@localhost"],
      body: bodyOf(marker),
    });
    options.acked.set(queuedId(reply), marker);
  }
  await client.command("QUIT");
}

/** Checks that the copy opens, holds every id in `expected` with its body, and that every message in it is whole. */
async function verifyBackup(path: string, expected: Map<string, string>): Promise<number> {
  // openKvQueue opens the file with Deno.openKv.
  await using queue = await openKvQueue(path, { clock: { now: () => Date.now() } });
  for (const [id, marker] of expected) {
    const message = await queue.get(id);
    assert.ok(message, `message ${id} ("${marker}"), acknowledged before the backup, is in it`);
    const body = await new Response(queue.readBody(id)).text();
    // The stored message is the Received header, the body sent, and its final CRLF.
    assert.ok(body.endsWith(`\r\n${bodyOf(marker)}\r\n`), `the body of ${id} is complete`);
  }
  let total = 0;
  let cursor: string | undefined;
  do {
    const page = await queue.list({}, { cursor, limit: 500 });
    for (const message of page.messages) {
      const bytes = await new Response(queue.readBody(message.id)).arrayBuffer();
      assert.equal(bytes.byteLength, message.size, `message ${message.id} is whole in the copy`);
    }
    total += page.messages.length;
    cursor = page.cursor;
  } while (cursor !== undefined);
  assert.equal(await queue.count(), total, "the message counter matches the records");
  return total;
}

Deno.test({
  name:
    "sqlite3 .backup and VACUUM INTO of a running queue open with Deno.openKv and hold every message acknowledged before they began",
  ignore: skipWithout("sqlite3", "sqlite3"),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "empath-backup-" });
    try {
      // Delivery off: every accepted message stays in the queue, so the copy must hold it.
      await Deno.writeTextFile(
        `${dir}/empath.toml`,
        '[[listen]]\naddress = "127.0.0.1:0"\n\n[control]\nlisten = "127.0.0.1:0"\n\n' +
          "[delivery]\nenabled = false\n",
      );
      await using proc = await spawnEmpath({ cwd: dir, config: "empath.toml" });
      const acked = new Map<string, string>();
      let sending = true;
      const senders = Array.from(
        { length: SENDERS },
        (_, sender) => sendUntil(proc.port, sender, { stop: () => !sending, acked }),
      );
      try {
        await eventually(() => Promise.resolve(acked.size >= 300), 60_000);
        const commands = [".backup backup.kv", "VACUUM INTO 'vacuumed.kv'"];
        const before: Map<string, string>[] = [];
        const ackedAtStart = acked.size;
        for (const command of commands) {
          before.push(new Map(acked));
          const result = await run("sqlite3", ["data/empath.kv", command], { cwd: dir });
          assert.equal(result.code, 0, result.stderr);
        }
        // Usually dozens: the senders never pause for the backups.
        assert.ok(acked.size > ackedAtStart, "mail was accepted while the backups ran");
        sending = false;
        await Promise.all(senders);
        for (const [index, file] of ["backup.kv", "vacuumed.kv"].entries()) {
          const total = await verifyBackup(`${dir}/${file}`, before[index]);
          assert.ok(total >= before[index].size);
        }
      } finally {
        sending = false;
        await Promise.allSettled(senders);
      }
      assert.equal((await proc.stop("SIGTERM")).code, 0);
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
