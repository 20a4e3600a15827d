import assert from "node:assert/strict";
import { openKvQueue } from "../../lib/queue/mod.ts";
import { spawnEmpath } from "../support/process.ts";
import { sendMessage, TestSmtpClient } from "../support/smtp_client.ts";

Deno.test("`empath serve` with no config listens on 127.0.0.1:2525, delivers to ./data/maildir and stops on SIGTERM", async () => {
  const dir = await Deno.makeTempDir({ prefix: "empath-defaults-" });
  try {
    const proc = await spawnEmpath({ cwd: dir });
    assert.equal(proc.port, 2525);
    {
      await using client = await TestSmtpClient.connect(2525);
      assert.equal((await client.reply()).code, 220);
      await client.command("EHLO quickstart.test");
      const reply = await sendMessage(client, {
        from: "me@quickstart.test",
        to: ["user@localhost"],
        body: "Subject: quick start\r\n\r\nIt works.",
      });
      assert.match(reply.raw, /^250 2\.0\.0 Ok: queued as /);
      await waitForFile(`${dir}/data/maildir/user/new`);
      await client.command("MAIL FROM:<me@quickstart.test>");
      assert.equal((await client.command("RCPT TO:<user@localhost>")).code, 250);
    }
    const status = await proc.stop("SIGTERM");
    assert.equal(status.code, 0);
    assert.ok(proc.logs.some((l) => String(l.message).includes("Queue")), "startup logs the queue");
    const files = [...Deno.readDirSync(`${dir}/data/maildir/user/new`)];
    assert.equal(files.length, 1);
    const delivered = await Deno.readTextFile(`${dir}/data/maildir/user/new/${files[0].name}`);
    assert.match(
      delivered,
      /^Return-Path: <me@quickstart\.test>\r\nDelivered-To: user@localhost\r\nReceived: /,
    );
    assert.match(delivered, /\r\n\r\nIt works\.\r\n$/);
    await using queue = await openKvQueue(`${dir}/data/empath.kv`, {
      clock: { now: () => Date.now() },
    });
    assert.equal(await queue.count(), 0, "the delivered message left the queue");
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

async function waitForFile(dir: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ([...Deno.readDirSync(dir)].length > 0) return;
    } catch {
      // not created yet
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`Nothing arrived in ${dir}`);
}

Deno.test("`empath serve` refuses an invalid config with exit code 78 and names the key", async () => {
  const dir = await Deno.makeTempDir({ prefix: "empath-badconfig-" });
  try {
    await Deno.writeTextFile(`${dir}/bad.toml`, "[policy]\nmax_recipients = -1\n");
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--unstable-kv",
        "-A",
        new URL("../../main.ts", import.meta.url).pathname,
        "serve",
        "--config",
        "bad.toml",
      ],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(output.code, 78);
    assert.match(new TextDecoder().decode(output.stderr), /policy\.max_recipients/);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
