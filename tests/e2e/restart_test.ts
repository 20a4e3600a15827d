import { eventually } from "../support/wait.ts";
import assert from "node:assert/strict";
import { openKvQueue } from "../../lib/queue/mod.ts";
import { startDnsmasq } from "../support/dnsmasq.ts";
import { startTestEmpath, type TestEmpath } from "../support/empath.ts";
import { skipWithout } from "../support/peers.ts";
import { startAiosmtpd } from "../support/sink.ts";
import { sendMessage, TestSmtpClient } from "../support/smtp_client.ts";

const IGNORE = skipWithout("dnsmasq", "dnsmasq-base") || skipWithout("python3", "python3-aiosmtpd");
const clock = { now: () => Date.now() };

async function submit(server: TestEmpath, to: string, subject: string): Promise<string> {
  await using client = await TestSmtpClient.connect(server.port);
  await client.reply();
  await client.command("EHLO restart.test");
  const reply = await sendMessage(client, {
    from: "sender@origin.test",
    to: [to],
    body: `Subject: ${subject}\r\n\r\nx`,
  });
  return /queued as (\S+)/.exec(reply.raw)![1];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test({
  name:
    "restart: a deferred message keeps its attempts and next attempt; a dead worker's lease expires and it is delivered once",
  ignore: IGNORE,
  async fn() {
    await using dns = await startDnsmasq({
      mx: [{ domain: "later.test", exchange: "mx.later.test", preference: 10 }],
      a: [{ name: "mx.later.test", address: "127.0.0.1" }],
    });
    await using sink = await startAiosmtpd({ tempfail: { "deferred@later.test": 1 } });
    const dir = await Deno.makeTempDir({ prefix: "empath-restart-" });
    const configure = (enabled: boolean) => (config: TestEmpath["config"]) => {
      config.queue.path = `${dir}/queue.kv`;
      config.delivery.enabled = enabled;
      config.delivery.allowPrivateDestinations = true;
      config.delivery.port = sink.port;
      config.dns.nameServer = `${dns.nameServer.ipAddr}:${dns.nameServer.port}`;
      config.queue.retry = [60 * 60_000];
    };
    try {
      let deferredId: string;
      let leasedId: string;
      {
        await using first = await startTestEmpath(configure(true));
        deferredId = await submit(first, "deferred@later.test", "deferred");
        await eventually(async () => {
          const message = await first.empath.queue.get(deferredId);
          return message?.recipients[0].status === "deferred" ? true : undefined;
        });
        await first.empath.delivery.stop();
        // A message leased by a worker that died: its lease runs for 800 ms more.
        leasedId = await submit(first, "leased@later.test", "leased");
        const message = (await first.empath.queue.get(leasedId))!;
        const until = Date.now() + 800;
        assert.ok(
          await first.empath.queue.update({
            ...message,
            lease: { owner: "dead", until },
            nextAttemptAt: until,
          }),
        );
      }
      const before = await (async () => {
        await using queue = await openKvQueue(`${dir}/queue.kv`, { clock });
        return (await queue.get(deferredId))!;
      })();
      assert.equal(before.recipients[0].attempts, 1);
      assert.equal(before.recipients[0].lastReply?.code, 451);
      assert.ok(before.nextAttemptAt > Date.now() + 50 * 60_000, "next attempt about an hour away");

      await using second = await startTestEmpath(configure(true));
      await sleep(300);
      assert.equal(
        (await sink.messages()).length,
        0,
        "nothing retried early, lease not yet expired",
      );
      const delivered = await eventually(async () => {
        const all = await sink.messages();
        return all.length > 0 ? all : undefined;
      });
      await sleep(500);
      assert.equal((await sink.messages()).length, 1, "the leased message is delivered once");
      assert.deepEqual(delivered[0].rcptTos, ["leased@later.test"]);
      const after = await second.empath.queue.get(deferredId);
      assert.equal(
        after?.recipients[0].status,
        "deferred",
        "the deferred message waits for its hour",
      );
      assert.equal(after?.nextAttemptAt, before.nextAttemptAt);
      assert.equal(await second.empath.queue.get(leasedId), undefined);
    } finally {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
