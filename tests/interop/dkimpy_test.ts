import assert from "node:assert/strict";
import { splitTxtStrings } from "../../lib/dkim/mod.ts";
import { makeTestKeys } from "../../lib/dkim/testing.ts";
import { skipWithoutDnsmasq, startDnsmasq } from "../support/dnsmasq.ts";
import { bodyBytes, queuedId, startTestEmpath } from "../support/empath.ts";
import { debianPython, run, skipWithout } from "../support/peers.ts";
import { sendMessage, TestSmtpClient } from "../support/smtp_client.ts";

const VERIFY_SCRIPT = new URL("../support/dkimpy_verify.py", import.meta.url).pathname;

const MESSAGE = 'From: "Alice Example" <alice@example.test>\r\nTo: bob@localhost\r\n' +
  "Subject: interop with dkimpy\r\nDate: Thu, 02 Jan 2025 03:04:05 +0000\r\n" +
  "Message-ID: <interop-1@example.test>\r\nMIME-Version: 1.0\r\n" +
  "Content-Type: text/plain; charset=utf-8\r\n\r\n" +
  "Hello Bob,\r\n\r\n\tindented  with   spaces   \r\n..a leading dot\r\n\r\n\r\n";

Deno.test({
  name: "python3-dkim verifies RSA and Ed25519 signatures of a message Empath received over SMTP",
  ignore: skipWithout("dkimverify", "python3-dkim") || skipWithoutDnsmasq(),
  async fn() {
    await using keys = await makeTestKeys([
      { algorithm: "rsa", selector: "s1" },
      { algorithm: "ed25519", selector: "s2" },
    ]);
    // dnsmasq makes one character-string per comma: the RSA record needs two (RFC 1035 §3.3.14).
    const txt = [...keys.records].map(([name, text]) => ({
      name,
      text: splitTxtStrings(text).join(","),
    }));
    await using dns = await startDnsmasq({ txt });
    await using server = await startTestEmpath((config) => config.dkim = keys.configs);
    await using client = await TestSmtpClient.connect(server.port);
    await client.reply();
    await client.command("EHLO client.example.test");
    const reply = await sendMessage(client, {
      from: "alice@example.test",
      to: ["bob@localhost"],
      body: MESSAGE,
    });
    const stored = await bodyBytes(server.empath, queuedId(reply));
    const nameServer = `${dns.nameServer.ipAddr}:${dns.nameServer.port}`;
    const verify = (message: Uint8Array) =>
      run(debianPython(), [VERIFY_SCRIPT, nameServer], {
        stdin: new TextDecoder().decode(message),
      });

    const passed = await verify(stored);
    assert.equal(passed.code, 0, passed.stdout + passed.stderr);
    assert.deepEqual(passed.stdout.trim().split("\n"), [
      "0 pass d=example.test s=s1",
      "1 pass d=example.test s=s2",
    ]);

    const text = new TextDecoder().decode(stored);
    const tampered = new TextEncoder().encode(text.replace("Hello Bob", "Hello Eve"));
    const failed = await verify(tampered);
    assert.equal(failed.code, 1, failed.stdout + failed.stderr);
    assert.deepEqual(failed.stdout.trim().split("\n"), [
      "0 fail d=example.test s=s1",
      "1 fail d=example.test s=s2",
    ]);
  },
});
