// WireDnsBackend over real loopback sockets, against a DNS server scripted in the test.
import assert from "node:assert/strict";
import {
  type DnsQuery,
  response,
  type ScriptedDns,
  startScriptedDns,
} from "../../tests/support/scripted_dns.ts";
import { WireDnsBackend } from "./wire_dns_backend.ts";

const MX_ANSWER = (query: DnsQuery) =>
  response(query, {
    answers: [
      { type: "MX", name: "example.test", ttl: 300, data: { preference: 10, exchange: "mx.test" } },
    ],
  });

function backendFor(...servers: ScriptedDns[]): WireDnsBackend {
  return new WireDnsBackend({
    nameServers: servers.map((server) => server.nameServer),
    timeoutMs: 200,
  });
}

function label(server: ScriptedDns): string {
  return `127.0.0.1:${server.nameServer.port}`;
}

Deno.test("WireDnsBackend.query() reports SERVFAIL and REFUSED as temporary failures", async () => {
  await using servfail = await startScriptedDns({ udp: (q) => [response(q, { rcode: 2 })] });
  await using refused = await startScriptedDns({ udp: (q) => [response(q, { rcode: 5 })] });
  assert.deepEqual(await backendFor(servfail).query("example.test", "MX"), {
    kind: "temporary-failure",
    reason: `DNS query MX "example.test" failed: ${label(servfail)} answered SERVFAIL (RCODE 2)`,
  });
  assert.deepEqual(await backendFor(refused).query("example.test", "A"), {
    kind: "temporary-failure",
    reason: `DNS query A "example.test" failed: ${label(refused)} answered REFUSED (RCODE 5)`,
  });
  assert.deepEqual(servfail.queries, ["udp MX example.test"], "SERVFAIL is not asked again");
});

Deno.test("WireDnsBackend.query() asks the next name server after a SERVFAIL", async () => {
  await using servfail = await startScriptedDns({ udp: (q) => [response(q, { rcode: 2 })] });
  await using good = await startScriptedDns({ udp: (q) => [MX_ANSWER(q)] });
  assert.deepEqual(await backendFor(servfail, good).query("example.test", "MX"), {
    kind: "records",
    records: [{ preference: 10, exchange: "mx.test" }],
    ttlMs: 300_000,
  });
  assert.deepEqual(servfail.queries, ["udp MX example.test"]);
  assert.deepEqual(good.queries, ["udp MX example.test"]);
});

Deno.test("WireDnsBackend.query() tries a silent server twice, then the next one", async () => {
  await using silent = await startScriptedDns({ udp: () => [] });
  await using good = await startScriptedDns({ udp: (q) => [MX_ANSWER(q)] });
  const answer = await backendFor(silent, good).query("example.test", "MX");
  assert.equal(answer.kind, "records");
  assert.deepEqual(silent.queries, ["udp MX example.test", "udp MX example.test"]);
});

Deno.test("WireDnsBackend.query() is a temporary failure after both tries time out", async () => {
  await using silent = await startScriptedDns({ udp: () => [] });
  const started = performance.now();
  const answer = await backendFor(silent).query("example.test", "MX");
  const elapsed = performance.now() - started;
  assert.deepEqual(answer, {
    kind: "temporary-failure",
    reason: `DNS query MX "example.test" failed: no answer from ${
      label(silent)
    } within 200 ms, 2 tries`,
  });
  assert.ok(elapsed >= 390 && elapsed < 2_000, `took ${elapsed} ms`);
});

Deno.test("WireDnsBackend.query() asks again over TCP when the UDP answer is truncated", async () => {
  await using server = await startScriptedDns({
    udp: (q) => [response(q, { truncated: true })],
    tcp: (q) =>
      response(q, {
        answers: [
          { type: "TXT", name: "big.test", ttl: 60, data: ["x".repeat(255), "y".repeat(255)] },
          { type: "TXT", name: "big.test", ttl: 60, data: "z".repeat(255) },
        ],
      }),
  });
  assert.deepEqual(await backendFor(server).query("big.test", "TXT"), {
    kind: "records",
    records: ["x".repeat(255) + "y".repeat(255), "z".repeat(255)],
    ttlMs: 60_000,
  });
  assert.deepEqual(server.queries, ["udp TXT big.test", "tcp TXT big.test"]);
});

Deno.test("WireDnsBackend.query() is a temporary failure when TCP closes without an answer", async () => {
  await using server = await startScriptedDns({ udp: (q) => [response(q, { truncated: true })] });
  const answer = await backendFor(server).query("big.test", "TXT");
  assert.equal(answer.kind, "temporary-failure");
  assert.deepEqual(answer, {
    kind: "temporary-failure",
    reason: `DNS query TXT "big.test" failed: ${
      label(server)
    } (TCP): Error: Cannot read the TCP answer: connection closed after 0 octets`,
  });
});

Deno.test("WireDnsBackend.query() ignores datagrams with a wrong id or question", async () => {
  await using server = await startScriptedDns({
    udp: (q) => [
      response(q, { id: (q.id! + 1) % 65_536, rcode: 3 }),
      response(q, { questions: [{ name: "other.test", type: "MX", class: "IN" }], rcode: 3 }),
      response(q, { questions: [{ name: "example.test", type: "A", class: "IN" }], rcode: 3 }),
      MX_ANSWER(q),
    ],
  });
  assert.deepEqual(await backendFor(server).query("example.test", "MX"), {
    kind: "records",
    records: [{ preference: 10, exchange: "mx.test" }],
    ttlMs: 300_000,
  });
  assert.deepEqual(server.queries, ["udp MX example.test"]);
});

Deno.test("WireDnsBackend.query() sends a random id each time", async () => {
  const ids: number[] = [];
  await using server = await startScriptedDns({
    udp: (q) => {
      ids.push(q.id!);
      return [MX_ANSWER(q)];
    },
  });
  const backend = backendFor(server);
  for (let i = 0; i < 4; i++) await backend.query("example.test", "MX");
  assert.equal(ids.length, 4);
  assert.ok(new Set(ids).size > 1, `ids ${ids}`);
});

Deno.test("WireDnsBackend.query() rejects with the signal's reason when the caller aborts", async () => {
  await using silent = await startScriptedDns({ udp: () => [] });
  const backend = new WireDnsBackend({ nameServers: [silent.nameServer] });
  const controller = new AbortController();
  const query = backend.query("example.test", "A", controller.signal);
  setTimeout(() => controller.abort(new Error("shutting down")), 50);
  await assert.rejects(query, { message: "shutting down" });
  await assert.rejects(backend.query("example.test", "A", controller.signal), {
    message: "shutting down",
  });
});

Deno.test("WireDnsBackend.query() asks the servers of resolv.conf, 127.0.0.1:53 without one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "empath-wire-dns-" });
  try {
    const missing = new WireDnsBackend({ resolvConfPath: `${dir}/none`, timeoutMs: 50 });
    const answer = await missing.query("example.test", "A");
    assert.equal(answer.kind, "temporary-failure");
    assert.match(answer.kind === "temporary-failure" ? answer.reason : "", /127\.0\.0\.1:53/);
    const unreadable = new WireDnsBackend({ resolvConfPath: dir, timeoutMs: 50 });
    const failed = await unreadable.query("example.test", "A");
    assert.equal(failed.kind, "temporary-failure");
    assert.match(failed.kind === "temporary-failure" ? failed.reason : "", /cannot read/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("new WireDnsBackend() rejects a timeout that is not positive and an empty server list", () => {
  assert.throws(() => new WireDnsBackend({ timeoutMs: 0 }), RangeError);
  assert.throws(() => new WireDnsBackend({ timeoutMs: NaN }), RangeError);
  assert.throws(() => new WireDnsBackend({ nameServers: [] }), RangeError);
});
