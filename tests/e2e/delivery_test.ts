import { eventually } from "../support/wait.ts";
import assert from "node:assert/strict";
import { startDnsmasq } from "../support/dnsmasq.ts";
import type { DnsmasqRecords } from "../support/dnsmasq.ts";
import { startTestEmpath, type TestEmpath } from "../support/empath.ts";
import { debianPython, run, skipWithout } from "../support/peers.ts";
import { type AiosmtpdOptions, startAiosmtpd } from "../support/sink.ts";
import { sendMessage, TestSmtpClient } from "../support/smtp_client.ts";
import { testCertificates } from "../support/certs.ts";

// Real DNS (dnsmasq) and real receiving peers (python aiosmtpd): the MX records
// of the test domains point at loopback addresses, where the peers listen on
// one shared port that Empath uses for MX deliveries (delivery.port).
const IGNORE = skipWithout("dnsmasq", "dnsmasq-base") || skipWithout("python3", "python3-aiosmtpd");

async function setup(
  records: DnsmasqRecords,
  peer: AiosmtpdOptions = {},
  configure?: (config: TestEmpath["config"]) => void,
) {
  const dns = await startDnsmasq(records);
  const sink = await startAiosmtpd(peer);
  const server = await startTestEmpath((config) => {
    config.delivery.enabled = true;
    config.delivery.allowPrivateDestinations = true;
    config.delivery.port = sink.port;
    config.dns.nameServer = `${dns.nameServer.ipAddr}:${dns.nameServer.port}`;
    config.queue.retry = [300];
    configure?.(config);
  });
  return {
    dns,
    sink,
    server,
    async [Symbol.asyncDispose]() {
      await server[Symbol.asyncDispose]();
      await sink[Symbol.asyncDispose]();
      await dns[Symbol.asyncDispose]();
    },
  };
}

async function submit(server: TestEmpath, from: string, to: string[], body: string) {
  await using client = await TestSmtpClient.connect(server.port);
  await client.reply();
  await client.command("EHLO submit.test");
  const reply = await sendMessage(client, { from, to, body });
  assert.equal(reply.code, 250, reply.raw);
}

const MX = (domain: string, ...hosts: [string, string, number][]): DnsmasqRecords => ({
  mx: hosts.map(([exchange, , preference]) => ({ domain, exchange, preference })),
  a: hosts.map(([exchange, address]) => ({ name: exchange, address })),
});

Deno.test({
  name: "delivery: a message submitted with swaks goes to the recipient domain's MX byte-identical",
  ignore: IGNORE || skipWithout("swaks", "swaks"),
  async fn() {
    await using env = await setup(MX("example.test", ["mx.example.test", "127.0.0.1", 10]));
    const result = await run("swaks", [
      "--server",
      "127.0.0.1",
      "--port",
      String(env.server.port),
      "--helo",
      "submit.test",
      "--from",
      "sender@origin.test",
      "--to",
      "rcpt@example.test",
      "--data",
      "Subject: relay\\n\\nHello MX\\n.dot line\\nlast line",
    ]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const [message] = await eventually(async () => {
      const messages = await env.sink.messages();
      return messages.length > 0 ? messages : undefined;
    });
    assert.deepEqual(message.rcptTos, ["rcpt@example.test"]);
    assert.equal(message.mailFrom, "sender@origin.test");
    const data = new TextDecoder().decode(message.data);
    assert.match(
      data,
      /^Received: from submit\.test \(\[127\.0\.0\.1\]\)\r\n\tby mx\.empath\.test/,
    );
    assert.ok(
      data.endsWith("\r\nSubject: relay\r\n\r\nHello MX\r\n.dot line\r\nlast line\r\n"),
      JSON.stringify(data),
    );
    await eventually(async () => (await env.server.empath.queue.count()) === 0 ? true : undefined);
  },
});

Deno.test({
  name: "delivery: the first MX refuses connections, the second takes the message",
  ignore: IGNORE,
  async fn() {
    await using env = await setup(
      MX("two.test", ["mx1.two.test", "127.0.0.2", 10], ["mx2.two.test", "127.0.0.1", 20]),
    );
    await submit(env.server, "sender@origin.test", ["rcpt@two.test"], "Subject: two\r\n\r\nx");
    const messages = await eventually(async () => {
      const all = await env.sink.messages();
      return all.length > 0 ? all : undefined;
    });
    assert.equal(messages.length, 1);
  },
});

Deno.test({
  name: "delivery: 451 then 250 delivers on the retry",
  ignore: IGNORE,
  async fn() {
    await using env = await setup(MX("retry.test", ["mx.retry.test", "127.0.0.1", 10]), {
      tempfail: { "rcpt@retry.test": 1 },
    });
    await submit(env.server, "sender@origin.test", ["rcpt@retry.test"], "Subject: retry\r\n\r\nx");
    const deferred = await eventually(async () => {
      const { messages } = await env.server.empath.queue.list();
      return messages[0]?.recipients[0].status === "deferred" ? messages[0] : undefined;
    });
    assert.equal(deferred.recipients[0].lastReply?.code, 451);
    assert.equal(deferred.recipients[0].attempts, 1);
    const delivered = await eventually(async () => {
      const all = await env.sink.messages();
      return all.length > 0 ? all : undefined;
    });
    assert.equal(delivered.length, 1);
    await eventually(async () => (await env.server.empath.queue.count()) === 0 ? true : undefined);
  },
});

const PARSE_DSN = `
import email, sys
msg = email.message_from_bytes(sys.stdin.buffer.read())
assert msg.get_content_type() == "multipart/report", msg.get_content_type()
assert msg.get_param("report-type") == "delivery-status"
parts = msg.get_payload()
print(len(parts), parts[0].get_content_type(), parts[1].get_content_type(), parts[2].get_content_type())
blocks = parts[1].get_payload()
for block in blocks[1:]:
    print("RCPT", block["Final-Recipient"], block["Action"], block["Status"], block["Diagnostic-Code"])
`;

Deno.test({
  name: "delivery: 550 for one of two recipients delivers one and bounces the other as RFC 3464",
  ignore: IGNORE,
  async fn() {
    await using env = await setup({
      ...MX("mixed.test", ["mx.mixed.test", "127.0.0.1", 10]),
      mx: [
        { domain: "mixed.test", exchange: "mx.mixed.test", preference: 10 },
        { domain: "origin.test", exchange: "mx.mixed.test", preference: 10 },
      ],
    }, { replies: { "nobody@mixed.test": "550 5.1.1 No such user here" } });
    await submit(
      env.server,
      "sender@origin.test",
      ["good@mixed.test", "nobody@mixed.test"],
      "Subject: mixed\r\nMessage-ID: <m1@origin.test>\r\n\r\nbody",
    );
    const messages = await eventually(async () => {
      const all = await env.sink.messages();
      return all.length >= 2 ? all : undefined;
    });
    const original = messages.find((m) => m.mailFrom === "sender@origin.test");
    const bounce = messages.find((m) => m.mailFrom === "" || m.mailFrom === "<>");
    assert.deepEqual(original?.rcptTos, ["good@mixed.test"]);
    assert.ok(bounce, "a bounce with the null sender arrived");
    assert.deepEqual(bounce.rcptTos, ["sender@origin.test"]);
    const parsed = await run(debianPython(), ["-c", PARSE_DSN], {
      stdin: new TextDecoder().decode(bounce.data),
    });
    assert.equal(parsed.code, 0, parsed.stderr);
    assert.match(parsed.stdout, /^3 text\/plain message\/delivery-status text\/rfc822-headers/);
    assert.match(
      parsed.stdout,
      /RCPT rfc822; ?nobody@mixed\.test failed 5\.1\.1 smtp; ?550 5\.1\.1/,
    );
    assert.match(new TextDecoder().decode(bounce.data), /Message-ID: <m1@origin\.test>/);
  },
});

Deno.test({
  name: "delivery: a null MX domain bounces at once with 5.1.10 and a bounce is never bounced",
  ignore: IGNORE,
  async fn() {
    await using env = await setup({
      mx: [
        { domain: "nullmx.test", exchange: ".", preference: 0 },
        { domain: "origin.test", exchange: "mx.origin.test", preference: 10 },
      ],
      a: [{ name: "mx.origin.test", address: "127.0.0.1" }],
    });
    await submit(env.server, "sender@origin.test", ["someone@nullmx.test"], "Subject: n\r\n\r\nx");
    await submit(env.server, "", ["someone@nullmx.test"], "Subject: from null\r\n\r\nx");
    const [bounce] = await eventually(async () => {
      const all = await env.sink.messages();
      return all.length > 0 ? all : undefined;
    });
    assert.deepEqual(bounce.rcptTos, ["sender@origin.test"]);
    assert.match(new TextDecoder().decode(bounce.data), /Status: 5\.1\.10/);
    await eventually(async () => (await env.server.empath.queue.count()) === 0 ? true : undefined);
    assert.equal((await env.sink.messages()).length, 1, "no bounce for the null sender");
  },
});

Deno.test({
  name: "delivery: tls = required defers against a peer without STARTTLS and delivers over TLS",
  ignore: IGNORE,
  async fn() {
    const certs = await testCertificates();
    const requireTls = (config: TestEmpath["config"]) => config.delivery.defaults.tls = "required";
    await using plain = await setup(
      MX("plain.test", ["mx.plain.test", "127.0.0.1", 10]),
      {},
      requireTls,
    );
    await submit(plain.server, "sender@origin.test", ["rcpt@plain.test"], "Subject: t\r\n\r\nx");
    const deferred = await eventually(async () => {
      const { messages } = await plain.server.empath.queue.list();
      return messages[0]?.recipients[0].status === "deferred" ? messages[0] : undefined;
    });
    assert.match(deferred.recipients[0].lastReply?.text ?? "", /tls/i);
    assert.equal((await plain.sink.messages()).length, 0);

    await using secure = await setup(MX("tls.test", ["mx.tls.test", "127.0.0.1", 10]), {
      tls: { cert: certs.cert, key: certs.key },
    }, requireTls);
    await submit(secure.server, "sender@origin.test", ["rcpt@tls.test"], "Subject: t\r\n\r\nx");
    const [message] = await eventually(async () => {
      const all = await secure.sink.messages();
      return all.length > 0 ? all : undefined;
    });
    assert.equal(message.tls, true);
  },
});

Deno.test({
  name: "delivery: a message still deferred at max_age is bounced with 5.4.7 and the last reply",
  ignore: IGNORE,
  async fn() {
    await using env = await setup(
      {
        mx: [
          { domain: "slowpoke.test", exchange: "mx.slowpoke.test", preference: 10 },
          { domain: "origin.test", exchange: "mx.slowpoke.test", preference: 10 },
        ],
        a: [{ name: "mx.slowpoke.test", address: "127.0.0.1" }],
      },
      { tempfail: { "rcpt@slowpoke.test": 1000 } },
      (config) => {
        config.queue.maxAge = 800;
        config.queue.retry = [200];
      },
    );
    await submit(
      env.server,
      "sender@origin.test",
      ["rcpt@slowpoke.test"],
      "Subject: late\r\n\r\nx",
    );
    const [bounce] = await eventually(async () => {
      const all = await env.sink.messages();
      return all.length > 0 ? all : undefined;
    });
    assert.deepEqual(bounce.rcptTos, ["sender@origin.test"]);
    const text = new TextDecoder().decode(bounce.data);
    assert.match(text, /Status: 5\.4\.7/);
    assert.match(text, /451 4\.3\.0/);
    await eventually(async () => (await env.server.empath.queue.count()) === 0 ? true : undefined);
  },
});
