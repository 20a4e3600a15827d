import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
// @deno-types="@types/dns-packet"
import * as dnsPacket from "dns-packet";
import {
  answerFromResponse,
  decodeMatching,
  describeRcode,
  EDNS_UDP_PAYLOAD_SIZE,
  encodeQuery,
  type WireQuestion,
  type WireResponse,
} from "./_wire_message.ts";

const MX: WireQuestion = { name: "example.test", type: "MX" };

function responseBytes(fields: dnsPacket.Packet): Uint8Array {
  return dnsPacket.encode({
    type: "response",
    id: 7,
    questions: [{ name: "example.test", type: "MX", class: "IN" }],
    ...fields,
  });
}

function decoded(question: WireQuestion, fields: dnsPacket.Packet): WireResponse {
  const bytes = dnsPacket.encode({
    type: "response",
    id: 7,
    questions: [{ name: question.name, type: question.type, class: "IN" }],
    ...fields,
  });
  const response = decodeMatching(bytes, 7, question);
  assert.ok(response, "the response matches");
  return response;
}

Deno.test("encodeQuery() asks one IN question with RD and an EDNS0 payload of 1232", () => {
  const query = dnsPacket.decode(Buffer.from(encodeQuery(MX, 4242)));
  assert.equal(query.id, 4242);
  assert.equal(query.flag_qr, false);
  assert.equal(query.flag_rd, true);
  assert.deepEqual(query.questions, [{ name: "example.test", type: "MX", class: "IN" }]);
  const [opt] = query.additionals ?? [];
  assert.equal(opt.type, "OPT");
  assert.equal(opt.type === "OPT" && opt.udpPayloadSize, EDNS_UDP_PAYLOAD_SIZE);
});

Deno.test("decodeMatching() accepts the answer to the query, its name in any case", () => {
  const bytes = responseBytes({ questions: [{ name: "Example.TEST", type: "MX", class: "IN" }] });
  assert.equal(decodeMatching(bytes, 7, MX)?.id, 7);
});

Deno.test("decodeMatching() ignores another id, question, type or class, a query and garbage", () => {
  const others: Uint8Array[] = [
    responseBytes({ id: 8 }),
    responseBytes({ questions: [{ name: "other.test", type: "MX", class: "IN" }] }),
    responseBytes({ questions: [{ name: "example.test", type: "A", class: "IN" }] }),
    responseBytes({ questions: [{ name: "example.test", type: "MX", class: "CH" }] }),
    responseBytes({ questions: [] }),
    responseBytes({
      questions: [
        { name: "example.test", type: "MX", class: "IN" },
        { name: "example.test", type: "MX", class: "IN" },
      ],
    }),
    responseBytes({ type: "query" }),
    new Uint8Array([0, 7, 0x80]),
    new Uint8Array(),
  ];
  for (const [index, bytes] of others.entries()) {
    assert.equal(decodeMatching(bytes, 7, MX), undefined, `case ${index}`);
  }
});

Deno.test("answerFromResponse() returns MX records with preference and exchange, and the least TTL", () => {
  const response = decoded(MX, {
    answers: [
      {
        type: "MX",
        name: "example.test",
        ttl: 300,
        data: { preference: 10, exchange: "MX1.example.test" },
      },
      { type: "MX", name: "example.test", ttl: 60, data: { preference: 0, exchange: "." } },
    ],
  });
  assert.deepEqual(answerFromResponse(response, MX, "127.0.0.1:53"), {
    kind: "records",
    records: [
      { preference: 10, exchange: "MX1.example.test" },
      { preference: 0, exchange: "." },
    ],
    ttlMs: 60_000,
  });
});

Deno.test("answerFromResponse() returns A and AAAA addresses of the type asked only", () => {
  const answers: dnsPacket.Answer[] = [
    { type: "A", name: "host.test", ttl: 3600, data: "192.0.2.1" },
    { type: "AAAA", name: "host.test", ttl: 5, data: "2001:db8::1" },
    { type: "A", name: "host.test", ttl: 3600, data: "192.0.2.2" },
  ];
  const a: WireQuestion = { name: "host.test", type: "A" };
  const aaaa: WireQuestion = { name: "host.test", type: "AAAA" };
  assert.deepEqual(answerFromResponse(decoded(a, { answers }), a, "s"), {
    kind: "records",
    records: ["192.0.2.1", "192.0.2.2"],
    ttlMs: 3_600_000,
  });
  assert.deepEqual(answerFromResponse(decoded(aaaa, { answers }), aaaa, "s"), {
    kind: "records",
    records: ["2001:db8::1"],
    ttlMs: 5_000,
  });
});

Deno.test("answerFromResponse() joins each TXT record's character-strings", () => {
  const txt: WireQuestion = { name: "_mta-sts.example.test", type: "TXT" };
  const response = decoded(txt, {
    answers: [
      { type: "TXT", name: "_mta-sts.example.test", data: ["v=STSv1; ", "id=ab", "cd"] },
      { type: "TXT", name: "_mta-sts.example.test", data: "other record" },
      // "é" split across two character-strings: joined as octets, then decoded.
      {
        type: "TXT",
        name: "_mta-sts.example.test",
        data: [Buffer.from([0x63, 0x61, 0x66, 0xc3]), Buffer.from([0xa9])],
      },
    ],
  });
  assert.deepEqual(answerFromResponse(response, txt, "s"), {
    kind: "records",
    records: ["v=STSv1; id=abcd", "other record", "café"],
    ttlMs: 0,
  });
});

Deno.test("answerFromResponse() follows a CNAME chain, the shortest TTL on the way", () => {
  const a: WireQuestion = { name: "www.example.test", type: "A" };
  const response = decoded(a, {
    answers: [
      { type: "CNAME", name: "www.example.test", ttl: 600, data: "Edge.CDN.test" },
      { type: "CNAME", name: "edge.cdn.test", ttl: 20, data: "node1.cdn.test" },
      { type: "A", name: "node1.cdn.test", ttl: 300, data: "192.0.2.80" },
      { type: "A", name: "unrelated.test", ttl: 1, data: "192.0.2.99" },
    ],
  });
  assert.deepEqual(answerFromResponse(response, a, "s"), {
    kind: "records",
    records: ["192.0.2.80"],
    ttlMs: 20_000,
  });
});

Deno.test("answerFromResponse() is NODATA for a CNAME loop or a chain without records", () => {
  const a: WireQuestion = { name: "loop.test", type: "A" };
  const loop = decoded(a, {
    answers: [
      { type: "CNAME", name: "loop.test", data: "back.test" },
      { type: "CNAME", name: "back.test", data: "loop.test" },
    ],
  });
  assert.deepEqual(answerFromResponse(loop, a, "s"), { kind: "no-records" });
  const dangling = decoded(a, { answers: [{ type: "CNAME", name: "loop.test", data: "x.test" }] });
  assert.deepEqual(answerFromResponse(dangling, a, "s"), { kind: "no-records" });
});

Deno.test("answerFromResponse() maps NOERROR without records to no-records and NXDOMAIN to nxdomain", () => {
  const nodata = decoded(MX, {
    answers: [{ type: "A", name: "example.test", data: "192.0.2.1" }],
  });
  assert.deepEqual(answerFromResponse(nodata, MX, "s"), { kind: "no-records" });
  assert.deepEqual(answerFromResponse(decoded(MX, { flags: 3 }), MX, "s"), { kind: "nxdomain" });
});

Deno.test("answerFromResponse() maps SERVFAIL, REFUSED and other RCODEs to temporary failures", () => {
  const cases: [number, string][] = [
    [2, "SERVFAIL (RCODE 2)"],
    [5, "REFUSED (RCODE 5)"],
    [1, "FORMERR (RCODE 1)"],
    [4, "NOTIMP (RCODE 4)"],
    [12, "RCODE 12"],
  ];
  for (const [rcode, name] of cases) {
    const response = decoded(MX, {
      flags: dnsPacket.RECURSION_AVAILABLE | rcode,
      answers: [{ type: "MX", name: "example.test", data: { preference: 1, exchange: "mx.test" } }],
    });
    assert.deepEqual(answerFromResponse(response, MX, "127.0.0.1:53"), {
      kind: "temporary-failure",
      reason: `127.0.0.1:53 answered ${name}`,
    });
  }
  assert.equal(describeRcode(9), "NOTAUTH (RCODE 9)");
});
