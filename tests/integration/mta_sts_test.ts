// MTA-STS end to end in one process: dnsmasq serves the MX and _mta-sts TXT records, a local
// HTTPS server (reached through a CONNECT proxy, `[delivery.mta_sts] proxy`) serves the policy
// with a certificate for mta-sts.sts.test, and python aiosmtpd peers receive the mail with or
// without STARTTLS and with certificates for the right or the wrong name, all from the test CA
// (`[delivery.mta_sts] ca_file`).
import assert from "node:assert/strict";
import { hashToken } from "../../lib/control/mod.ts";
import { formatPolicy, type MtaStsMode } from "../../lib/mta_sts/mod.ts";
import { sampleValue } from "../../lib/observe/testing.ts";
import type { QueuedMessage } from "../../lib/queue/mod.ts";
import { issueCertificate, testCertificates } from "../support/certs.ts";
import { type DnsmasqRecords, skipWithoutDnsmasq, startDnsmasq } from "../support/dnsmasq.ts";
import { queuedId, startTestEmpath, type TestEmpath } from "../support/empath.ts";
import { deliverUnderMtaSts, startPolicyHost } from "../support/mta_sts.ts";
import { skipWithout } from "../support/peers.ts";
import { type AiosmtpdOptions, startAiosmtpd } from "../support/sink.ts";
import { sendMessage, TestSmtpClient } from "../support/smtp_client.ts";
import { eventually } from "../support/wait.ts";

const IGNORE = skipWithoutDnsmasq() || skipWithout("python3", "python3-aiosmtpd");
const DOMAIN = "sts.test";
const MX = "mx.sts.test";
const RECIPIENT = `rcpt@${DOMAIN}`;
const READ_TOKEN = "mta-sts-read-token-0123456789";

function records(id: string): DnsmasqRecords {
  return {
    mx: [{ domain: DOMAIN, exchange: MX, preference: 10 }],
    a: [{ name: MX, address: "127.0.0.1" }],
    txt: [{ name: `_mta-sts.${DOMAIN}`, text: `v=STSv1; id=${id}` }],
  };
}

function policy(mode: MtaStsMode, mx: string[] = [MX]) {
  return { body: formatPolicy({ mode, mx, maxAge: 86_400 }) };
}

/** A peer offering STARTTLS with a certificate for `name`, signed by the test CA. */
async function tlsPeer(name: string): Promise<AiosmtpdOptions> {
  const { cert, key } = await issueCertificate([name]);
  return { tls: { cert, key } };
}

async function setup(options: { mode: MtaStsMode; policyMx?: string[]; peer: AiosmtpdOptions }) {
  const certs = await testCertificates();
  const hash = await hashToken(READ_TOKEN);
  const dns = await startDnsmasq(records("1"));
  const host = await startPolicyHost([DOMAIN], {
    [DOMAIN]: policy(options.mode, options.policyMx),
  });
  const peer = await startAiosmtpd(options.peer);
  const server = await startTestEmpath((config) => {
    deliverUnderMtaSts(config, {
      peerPort: peer.port,
      dnsPort: dns.nameServer.port,
      caFile: certs.caCert,
      proxyUrl: host.proxyUrl,
    });
    config.control.tokens = [{ name: "ops", hash, scope: "read" }];
  });
  return {
    dns,
    host,
    peer,
    server,
    async [Symbol.asyncDispose]() {
      await server[Symbol.asyncDispose]();
      await peer[Symbol.asyncDispose]();
      await host[Symbol.asyncDispose]();
      await dns[Symbol.asyncDispose]();
    },
  };
}

async function submit(server: TestEmpath): Promise<string> {
  await using client = await TestSmtpClient.connect(server.port);
  await client.reply();
  await client.command("EHLO submit.test");
  const reply = await sendMessage(client, {
    from: "sender@origin.test",
    to: [RECIPIENT],
    body: "Subject: mta-sts\r\n\r\nhello",
  });
  return queuedId(reply);
}

async function deferredRecord(server: TestEmpath, id: string): Promise<QueuedMessage> {
  return await eventually(async () => {
    const message = await server.empath.queue.get(id);
    return message?.recipients[0].status === "deferred" ? message : undefined;
  });
}

async function delivered(env: { peer: { messages(): Promise<{ tls: boolean }[]> } }) {
  return await eventually(async () => {
    const messages = await env.peer.messages();
    return messages.length > 0 ? messages : undefined;
  });
}

async function control(server: TestEmpath, path: string): Promise<Response> {
  const { hostname, port } = server.empath.control;
  return await fetch(`http://${hostname}:${port}${path}`, {
    headers: { Authorization: `Bearer ${READ_TOKEN}` },
  });
}

function assertStsDeferral(message: QueuedMessage, detail: RegExp): void {
  const reply = message.recipients[0].lastReply;
  assert.equal(reply?.code, 451);
  assert.equal(reply?.enhanced, "4.7.5");
  assert.match(reply?.text ?? "", /^MTA-STS policy of sts\.test not met \(TLS policy unmet\)/);
  assert.match(reply?.text ?? "", detail);
}

Deno.test({
  name: "MTA-STS enforce: a matching MX with a valid certificate gets the message over TLS",
  ignore: IGNORE,
  async fn() {
    await using env = await setup({ mode: "enforce", peer: await tlsPeer(MX) });
    await submit(env.server);
    const [message] = await delivered(env);
    assert.equal(message.tls, true);
    assert.deepEqual(env.host.requests, [`mta-sts.${DOMAIN}`]);
    const listed = await (await control(env.server, "/v1/delivery/mta-sts")).json();
    assert.deepEqual(
      listed.policies.map((p: { domain: string; mode: string; id: string; mx: string[] }) => [
        p.domain,
        p.mode,
        p.id,
        p.mx,
      ]),
      [[DOMAIN, "enforce", "1", [MX]]],
    );
  },
});

Deno.test({
  name: "MTA-STS enforce: a peer without STARTTLS is deferred with 4.7.5, never sent plaintext",
  ignore: IGNORE,
  async fn() {
    await using env = await setup({ mode: "enforce", peer: {} });
    const id = await submit(env.server);
    const message = await deferredRecord(env.server, id);
    assertStsDeferral(message, /does not offer STARTTLS/);
    assert.deepEqual(await env.peer.messages(), []);
    const why = await (await control(env.server, `/v1/queue/${id}/why`)).json();
    assert.equal(why.reason, "tls-policy");
    assert.match(why.sentence, /^TLS policy unmet: the recipient domain's MTA-STS policy/);
    const metrics = await (await control(env.server, "/metrics")).text();
    const labels = { domain: DOMAIN, mode: "enforce", failure: "starttls" };
    assert.equal(sampleValue(metrics, "empath_delivery_mta_sts_failures_total", labels), 1);
  },
});

Deno.test({
  name: "MTA-STS enforce: a certificate for another name is deferred with 4.7.5, never delivered",
  ignore: IGNORE,
  async fn() {
    await using env = await setup({ mode: "enforce", peer: await tlsPeer("mx.other.test") });
    const id = await submit(env.server);
    const message = await deferredRecord(env.server, id);
    assertStsDeferral(message, /TLS handshake failed/);
    assert.deepEqual(await env.peer.messages(), []);
  },
});

Deno.test({
  name: "MTA-STS enforce: an MX host the policy does not list is not used and the mail deferred",
  ignore: IGNORE,
  async fn() {
    await using env = await setup({
      mode: "enforce",
      policyMx: ["mail.sts.test", "*.mail.sts.test"],
      peer: await tlsPeer(MX),
    });
    const id = await submit(env.server);
    const message = await deferredRecord(env.server, id);
    assertStsDeferral(message, /no MX host matches the policy \(mx\.sts\.test\)/);
    assert.deepEqual(await env.peer.messages(), []);
  },
});

Deno.test({
  name:
    "MTA-STS testing: a certificate for another name still delivers, and the failure is counted",
  ignore: IGNORE,
  async fn() {
    await using env = await setup({ mode: "testing", peer: await tlsPeer("mx.other.test") });
    await submit(env.server);
    const [message] = await delivered(env);
    assert.equal(message.tls, true);
    const metrics = await eventually(async () => {
      const text = await (await control(env.server, "/metrics")).text();
      return text.includes("empath_delivery_mta_sts_failures_total") ? text : undefined;
    });
    const labels = { domain: DOMAIN, mode: "testing", failure: "certificate" };
    assert.equal(sampleValue(metrics, "empath_delivery_mta_sts_failures_total", labels), 1);
  },
});

Deno.test({
  name:
    "MTA-STS enforce: when the refresh of a changed policy fails, the cached policy still applies",
  ignore: IGNORE,
  async fn() {
    await using env = await setup({ mode: "enforce", peer: await tlsPeer(MX) });
    await submit(env.server);
    await delivered(env);
    // The domain announces a new policy id, its policy host is down, and its MX host now
    // offers no STARTTLS (an attacker in the path, say).
    const port = env.dns.nameServer.port;
    await env.dns[Symbol.asyncDispose]();
    await using dns = await startDnsmasq(records("2"), { port });
    assert.deepEqual(
      await Deno.resolveDns(`_mta-sts.${DOMAIN}.`, "TXT", { nameServer: dns.nameServer }),
      [["v=STSv1; id=2"]],
    );
    env.host.setDown(true);
    await using plaintext = await startAiosmtpd();
    const next = structuredClone(env.server.config);
    next.delivery.port = plaintext.port;
    await env.server.empath.reload(next);
    env.server.empath.dns.flush();
    const id = await submit(env.server);
    const message = await deferredRecord(env.server, id);
    assertStsDeferral(message, /does not offer STARTTLS/);
    assert.deepEqual(await plaintext.messages(), []);
    assert.equal(dns.nameServer.port, port);
    const listed = await (await control(env.server, "/v1/delivery/mta-sts")).json();
    assert.equal(listed.policies[0].id, "1");
  },
});

Deno.test({
  name: "MTA-STS: a policy that cannot be fetched and is not cached does not hold mail back",
  ignore: IGNORE,
  async fn() {
    await using env = await setup({ mode: "enforce", peer: {} });
    env.host.setDown(true);
    await submit(env.server);
    const [message] = await delivered(env);
    assert.equal(message.tls, false);
    const listed = await (await control(env.server, "/v1/delivery/mta-sts")).json();
    assert.deepEqual(listed, { policies: [] });
  },
});
