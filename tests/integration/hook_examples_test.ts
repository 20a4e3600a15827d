import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { HookConfig } from "../../lib/config/mod.ts";
import { reversedName } from "../../config/hooks/dnsbl.ts";
import { startTestEmpath } from "../support/empath.ts";
import { skipWithoutDnsmasq, startDnsmasq } from "../support/dnsmasq.ts";
import { run, skipWithout } from "../support/peers.ts";
import { TestSmtpClient } from "../support/smtp_client.ts";

function example(name: string): HookConfig {
  const path = fileURLToPath(new URL(`../../config/hooks/${name}`, import.meta.url));
  return { path, timeout: 2000, afterQueue: false };
}

/** Runs `body` with environment variables set, then restores them. */
async function withEnv(vars: Record<string, string>, body: () => Promise<void>): Promise<void> {
  const saved = Object.keys(vars).map((key) => [key, Deno.env.get(key)] as const);
  for (const [key, value] of Object.entries(vars)) Deno.env.set(key, value);
  try {
    await body();
  } finally {
    for (const [key, value] of saved) {
      if (value === undefined) Deno.env.delete(key);
      else Deno.env.set(key, value);
    }
  }
}

Deno.test("config/hooks/allowlist.ts accepts listed addresses and domains, refuses others with 550 5.7.1", async () => {
  const dir = await Deno.makeTempDir({ prefix: "empath-allowlist-" });
  const file = `${dir}/allowlist.json`;
  await Deno.writeTextFile(file, JSON.stringify(["@Partner.test"]));
  try {
    await withEnv({
      EMPATH_ALLOWLIST: "alice@localhost, bob@localhost",
      EMPATH_ALLOWLIST_FILE: file,
    }, async () => {
      await using server = await startTestEmpath((config) => {
        config.hooks = [example("allowlist.ts")];
        config.policy.localDomains = ["localhost", "partner.test"];
      });
      await using client = await TestSmtpClient.connect(server.port);
      await client.reply();
      await client.command("EHLO client.test");
      await client.command("MAIL FROM:<a@client.test>");
      assert.equal((await client.command("RCPT TO:<Alice@LOCALHOST>")).code, 250);
      assert.equal((await client.command("RCPT TO:<anyone@partner.test>")).code, 250);
      assert.equal((await client.command("RCPT TO:<postmaster@localhost>")).code, 250);
      assert.equal(
        (await client.command("RCPT TO:<carol@localhost>")).raw,
        "550 5.7.1 <carol@localhost>: Recipient not allowed",
      );
      // The file is read again when it changes.
      await new Promise((resolve) => setTimeout(resolve, 20));
      await Deno.writeTextFile(file, JSON.stringify(["carol@localhost"]));
      assert.equal((await client.command("RCPT TO:<carol@localhost>")).code, 250);
      assert.equal((await client.command("RCPT TO:<anyone@partner.test>")).code, 550);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "config/hooks/allowlist.ts refuses a recipient swaks sends to, and swaks reports it",
  ignore: skipWithout("swaks", "swaks"),
  async fn() {
    await withEnv(
      { EMPATH_ALLOWLIST: "alice@localhost", EMPATH_ALLOWLIST_FILE: "/nonexistent" },
      async () => {
        await using server = await startTestEmpath((config) =>
          config.hooks = [example("allowlist.ts")]
        );
        const swaks = (to: string) =>
          run("swaks", [
            "--server",
            `127.0.0.1:${server.port}`,
            "--to",
            to,
            "--from",
            "a@client.test",
            "--helo",
            "client.test",
          ]);
        const refused = await swaks("mallory@localhost");
        assert.notEqual(refused.code, 0);
        assert.match(
          refused.stdout,
          /<\*\* 550 5\.7\.1 <mallory@localhost>: Recipient not allowed/,
        );
        const accepted = await swaks("alice@localhost");
        assert.equal(accepted.code, 0, accepted.stdout);
        assert.equal(await server.empath.queue.count(), 1);
      },
    );
  },
});

Deno.test("dnsbl.ts builds RFC 5782 query names for IPv4, mapped IPv4 and IPv6", () => {
  assert.equal(reversedName("192.0.2.99"), "99.2.0.192");
  assert.equal(reversedName("::ffff:127.0.0.2"), "2.0.0.127");
  assert.equal(
    reversedName("2001:db8:1:2:3:4:567:89ab"),
    "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2",
  );
  assert.equal(reversedName("::1"), [..."0".repeat(31) + "1"].reverse().join("."));
  assert.equal(reversedName("not-an-ip"), undefined);
});

Deno.test({
  name: "config/hooks/dnsbl.ts greets a client listed in the zone with 554 5.7.1, others with 220",
  ignore: skipWithoutDnsmasq(),
  async fn() {
    await using dns = await startDnsmasq({
      a: [{ name: "1.0.0.127.zen.example.test", address: "127.0.0.2" }],
    });
    const nameServer = `${dns.nameServer.ipAddr}:${dns.nameServer.port}`;
    await withEnv(
      { EMPATH_DNSBL_NAMESERVER: nameServer, EMPATH_DNSBL_ZONE: "zen.example.test" },
      async () => {
        await using server = await startTestEmpath((config) =>
          config.hooks = [example("dnsbl.ts")]
        );
        {
          await using client = await TestSmtpClient.connect(server.port);
          assert.equal(
            (await client.reply()).raw,
            "554 5.7.1 Service unavailable; client [127.0.0.1] blocked using zen.example.test",
          );
          assert.match((await client.command("HELO client.test")).raw, /^503 /);
          assert.equal((await client.command("QUIT")).code, 221);
        }
        Deno.env.set("EMPATH_DNSBL_ZONE", "clean.example.test"); // NXDOMAIN there: not listed
        await using client = await TestSmtpClient.connect(server.port);
        assert.equal((await client.reply()).code, 220);
      },
    );
  },
});
