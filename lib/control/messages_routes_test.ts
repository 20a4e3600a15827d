import assert from "node:assert/strict";
import { readAll } from "../queue/testing.ts";
import type { SpoolWriter } from "../queue/mod.ts";
import { debianPython, run, skipWithout } from "../../tests/support/peers.ts";
import { ADMIN_TOKEN, openFixture, READ_TOKEN } from "./testing.ts";

const decoder = new TextDecoder();
const TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

const RAW = "From: a@example.org\nTo: b@example.net\rSubject: hi\r\n" +
  "Date: Tue, 02 Jan 2024 03:04:05 +0000\r\nMessage-ID: <x@example.org>\r\n\nline 1\nline 2\r\n";
const RAW_CRLF = RAW.replace(/\r\n|\r|\n/g, "\r\n");

async function body(
  fixture: { queue: { readBody(id: string): ReadableStream<Uint8Array> } },
  id: string,
) {
  return decoder.decode(await readAll(fixture.queue.readBody(id)));
}

function postRaw(
  fixture: Awaited<ReturnType<typeof openFixture>>,
  query: string,
  message: string | Uint8Array<ArrayBuffer>,
  headers: Record<string, string> = {},
) {
  return fixture.call(`/v1/messages?${query}`, {
    method: "POST",
    headers: { "Content-Type": "message/rfc822", ...headers },
    body: message,
  });
}

Deno.test("POST /v1/messages queues a raw message byte-exact after the Received header", async () => {
  await using fixture = await openFixture();
  const response = await postRaw(
    fixture,
    "from=a@example.org&to=b@example.net&to=%3Cc@Example.NET%3E",
    RAW,
    { traceparent: TRACEPARENT },
  );
  assert.equal(response.status, 202);
  const { id } = await response.json();
  const stored = await body(fixture, id);
  const received = stored.slice(0, stored.length - RAW_CRLF.length);
  assert.equal(stored.slice(received.length), RAW_CRLF);
  assert.match(
    received,
    /^Received: from control API\r\n\tby mx\.example\.test \(Empath\) with HTTP id /,
  );
  assert.ok(received.includes(`id ${id};`));
  assert.ok(received.endsWith(" +0000\r\n"));
  const message = await fixture.queue.get(id);
  assert.equal(message?.reversePath, "a@example.org");
  assert.deepEqual(message?.recipients.map((r) => r.address), ["b@example.net", "c@example.net"]);
  assert.deepEqual(message?.receivedFrom, { ip: "unknown", helo: "http", listener: "control" });
  assert.deepEqual(message?.traceContext, { traceparent: TRACEPARENT });
  assert.equal(message?.mailParams, undefined);
  assert.equal(fixture.wakes(), 1);
});

Deno.test("POST /v1/messages adds Date and Message-ID to a raw message without them", async () => {
  await using fixture = await openFixture();
  const raw = "Subject: caf\xe9\r\n\r\nbody\r\n";
  const response = await postRaw(fixture, "from=&to=b@example.net", new TextEncoder().encode(raw), {
    traceparent: "00-00000000000000000000000000000000-b7ad6b7169203331-01",
  });
  assert.equal(response.status, 202);
  const { id } = await response.json();
  const stored = await body(fixture, id);
  assert.match(stored, /\r\nDate: \w{3}, \d\d \w{3} \d{4} [\d:]{8} \+0000\r\n/);
  assert.ok(stored.includes(`\r\nMessage-ID: <${id}@mx.example.test>\r\n${raw}`));
  const message = await fixture.queue.get(id);
  assert.equal(message?.reversePath, "");
  assert.deepEqual(message?.mailParams, { body: "8BITMIME" });
  assert.equal(message?.traceContext, undefined);
});

Deno.test("POST /v1/messages rejects a raw message without a header/body separator", async () => {
  await using fixture = await openFixture();
  for (const raw of ["Subject: x\r\nno separator", "\r\nbody only\r\n", "not a header\r\n\r\nx"]) {
    const response = await postRaw(fixture, "from=a@example.org&to=b@example.net", raw);
    assert.equal(response.status, 400, raw);
  }
  const long = `Subject: x\r\n\r\n${"a".repeat(999)}\r\n`;
  const response = await postRaw(fixture, "from=a@example.org&to=b@example.net", long);
  assert.equal(response.status, 400);
  assert.match((await response.json()).error.message, /longer than 998 octets/);
  assert.equal(await fixture.queue.count(), 0);
});

Deno.test("POST /v1/messages composes a MIME message that Python's email package reads", {
  ignore: skipWithout("python3", "python3"),
}, async () => {
  await using fixture = await openFixture();
  const text = `Grüße! ${"The quick brown fox jumps over the lazy dog. ".repeat(30)}\n` +
    "second line with trailing space \n.dot\r\nFrom here=there\n";
  const html = "<p>Привет, мир — 你好</p>";
  const response = await fixture.call("/v1/messages", {
    method: "POST",
    json: {
      from: "sender@example.org",
      to: ["b@example.net", "c@example.net"],
      subject: `Ünïcode subject ${"долгий ".repeat(20)}end`,
      text,
      html,
      headers: { "X-Campaign": "spring", "Reply-To": "Jörg Müller <jm@example.org>" },
    },
  });
  assert.equal(response.status, 202);
  const { id } = await response.json();
  const stored = await body(fixture, id);
  assert.ok([...stored].every((c) => c.charCodeAt(0) < 128), "the stored message is ASCII");
  assert.ok(stored.split("\r\n").every((line) => line.length <= 998));
  assert.ok(!/[^\r]\n/.test(stored), "only CRLF line breaks");
  const script = [
    "import sys, json, email, email.policy",
    "m = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.default)",
    "print(json.dumps({'subject': m['subject'], 'from': m['from'], 'to': m['to'],",
    " 'reply_to': str(m['reply-to']), 'message_id': m['message-id'], 'date': m['date'],",
    " 'type': m.get_content_type(), 'campaign': m['x-campaign'],",
    " 'text': m.get_body(('plain',)).get_content(), 'html': m.get_body(('html',)).get_content(),",
    " 'defects': [str(d) for p in m.walk() for d in p.defects]}))",
  ].join("\n");
  const result = await run(debianPython(), ["-c", script], { stdin: stored });
  assert.equal(result.code, 0, result.stderr);
  const parsed = JSON.parse(result.stdout);
  assert.equal(parsed.subject, `Ünïcode subject ${"долгий ".repeat(20)}end`);
  assert.equal(parsed.from, "sender@example.org");
  assert.equal(parsed.to, "b@example.net, c@example.net");
  assert.equal(parsed.reply_to, "Jörg Müller <jm@example.org>");
  assert.equal(parsed.message_id, `<${id}@mx.example.test>`);
  assert.equal(parsed.type, "multipart/alternative");
  assert.equal(parsed.campaign, "spring");
  assert.equal(parsed.text.replace(/\r\n/g, "\n").trimEnd(), text.replace(/\r\n/g, "\n").trimEnd());
  assert.ok(stored.includes("Content-Transfer-Encoding: quoted-printable"));
  assert.ok(stored.includes("Content-Transfer-Encoding: base64"));
  assert.equal(parsed.html.trimEnd(), html);
  assert.deepEqual(parsed.defects, []);
});

Deno.test("POST /v1/messages composes a 7bit text/plain message for ASCII text", async () => {
  await using fixture = await openFixture();
  const response = await fixture.call("/v1/messages", {
    method: "POST",
    json: {
      from: "",
      to: ["b@example.net"],
      headers: { From: "Daemon <d@example.org>" },
      text: "hi",
    },
  });
  assert.equal(response.status, 202);
  const stored = await body(fixture, (await response.json()).id);
  assert.ok(stored.includes("\r\nFrom: Daemon <d@example.org>\r\nTo: b@example.net\r\n"));
  assert.ok(stored.includes("Content-Type: text/plain; charset=utf-8\r\n"));
  assert.ok(stored.endsWith("Content-Transfer-Encoding: 7bit\r\n\r\nhi\r\n"));
});

Deno.test("POST /v1/messages takes a priority from 0 to 9, in the query or the JSON body", async () => {
  await using fixture = await openFixture();
  const raw = await postRaw(fixture, "from=a@example.org&to=b@example.net&priority=9", RAW);
  assert.equal(raw.status, 202);
  assert.equal((await fixture.queue.get((await raw.json()).id))?.priority, 9);
  const json = await fixture.call("/v1/messages", {
    method: "POST",
    json: { from: "a@example.org", to: ["b@example.net"], priority: 1, text: "bulk" },
  });
  assert.equal(json.status, 202);
  assert.equal((await fixture.queue.get((await json.json()).id))?.priority, 1);
  const plain = await postRaw(fixture, "from=a@example.org&to=b@example.net", RAW);
  assert.equal((await fixture.queue.get((await plain.json()).id))?.priority, 5);
  for (const bad of ["10", "-1", "high", "2.5"]) {
    const response = await postRaw(
      fixture,
      `from=a@example.org&to=b@example.net&priority=${bad}`,
      RAW,
    );
    assert.equal(response.status, 400, bad);
    assert.match((await response.json()).error.message, /"priority"/);
  }
  assert.equal(await fixture.queue.count(), 3);
});

Deno.test("POST /v1/messages answers 400 naming a bad address", async () => {
  await using fixture = await openFixture();
  const json = await fixture.call("/v1/messages", {
    method: "POST",
    json: { from: "a@example.org", to: ["b@example.net", "not an address"] },
  });
  assert.equal(json.status, 400);
  assert.match((await json.json()).error.message, /^Invalid body "to\.1": /);
  const raw = await postRaw(fixture, "from=bad@@x&to=b@example.net", RAW);
  assert.equal(raw.status, 400);
  assert.match((await raw.json()).error.message, /^Invalid query parameter "from": /);
  const fromEmpty = await fixture.call("/v1/messages", {
    method: "POST",
    json: { from: "", to: ["b@example.net"] },
  });
  assert.match((await fromEmpty.json()).error.message, /"headers\.From": required/);
  assert.equal(await fixture.queue.count(), 0);
});

Deno.test("POST /v1/messages answers 400 without recipients", async () => {
  await using fixture = await openFixture();
  const json = await fixture.call("/v1/messages", {
    method: "POST",
    json: { from: "a@example.org", to: [] },
  });
  assert.equal(json.status, 400);
  assert.match((await json.json()).error.message, /"to": at least one recipient/);
  const raw = await postRaw(fixture, "from=a@example.org", RAW);
  assert.equal(raw.status, 400);
  assert.match((await raw.json()).error.message, /"to": at least one recipient/);
  assert.equal(await fixture.queue.count(), 0);
});

Deno.test("POST /v1/messages answers 413 for more recipients than one queue record holds", async () => {
  await using fixture = await openFixture();
  const to = Array.from({ length: 1000 }, (_, i) => `recipient-number-${i}@example.net`);
  const response = await fixture.call("/v1/messages", {
    method: "POST",
    json: { from: "a@example.org", to, text: "hello" },
  });
  assert.equal(response.status, 413, "a permanent answer, not a 503 to retry");
  assert.match((await response.json()).error.message, /send fewer recipients/);
  assert.equal(await fixture.queue.count(), 0);
});

Deno.test("POST /v1/messages answers 413 for a message over max_message_size", async () => {
  await using fixture = await openFixture({ maxMessageSize: 2_000, maxBody: 100 });
  const big = `Subject: x\r\n\r\n${"a".repeat(900)}\r\n${"b".repeat(900)}\r\n`;
  const composed = await fixture.call("/v1/messages", {
    method: "POST",
    json: { from: "a@example.org", to: ["b@example.net"], text: "a".repeat(1_200) },
  });
  assert.equal(composed.status, 202, "under the limit");
  const over = await postRaw(fixture, "from=a@example.org&to=b@example.net", big + big);
  assert.equal(over.status, 413);
  // Within the request limit but over the message limit once Date and Message-ID are added.
  const edge = await postRaw(
    fixture,
    "from=a@example.org&to=b@example.net",
    big.padEnd(1_990, "c"),
  );
  assert.equal(edge.status, 413);
  assert.equal(await fixture.queue.count(), 1);
});

Deno.test("POST /v1/messages answers 403 to a read token and 415 to other types", async () => {
  await using fixture = await openFixture();
  const read = await fixture.call("/v1/messages", {
    method: "POST",
    token: READ_TOKEN,
    json: { from: "a@example.org", to: ["b@example.net"] },
  });
  assert.equal(read.status, 403);
  const text = await fixture.call("/v1/messages", {
    method: "POST",
    headers: { "Content-Type": "text/plain" },
    body: "x",
  });
  assert.equal(text.status, 415);
  assert.equal(await fixture.queue.count(), 0);
});

Deno.test("POST /v1/messages answers 503 and stores nothing when the spool fails", async () => {
  await using fixture = await openFixture();
  const createSpool = fixture.queue.createSpool.bind(fixture.queue);
  let aborted = 0;
  fixture.queue.createSpool = () => {
    const writer = createSpool();
    const failing: SpoolWriter = {
      get id() {
        return writer.id;
      },
      get size() {
        return writer.size;
      },
      write: (bytes) => writer.write(bytes),
      commit: () => Promise.reject(new Error("disk on fire")),
      abort: () => {
        aborted++;
        return writer.abort();
      },
    };
    return failing;
  };
  const response = await postRaw(fixture, "from=a@example.org&to=b@example.net", RAW);
  assert.equal(response.status, 503);
  const text = await response.text();
  assert.ok(!text.includes("disk on fire"));
  assert.equal(JSON.parse(text).error.code, "unavailable");
  assert.equal(aborted, 1);
  assert.equal(await fixture.queue.count(), 0);
  assert.equal((await fixture.queue.stats()).bytes, 0);
  assert.equal(fixture.wakes(), 0);
});

Deno.test("POST /v1/messages records the HTTP client's address and the trace state", async () => {
  await using fixture = await openFixture();
  const request = new Request("http://localhost/v1/messages?from=a@example.org&to=b@example.net", {
    method: "POST",
    headers: {
      Authorization: `Bearer ${ADMIN_TOKEN}`,
      "Content-Type": "message/rfc822",
      traceparent: TRACEPARENT,
      tracestate: "vendor=value",
    },
    body: RAW,
  });
  const info = { remoteAddr: { transport: "tcp", hostname: "2001:db8::7", port: 4711 } };
  const response = await fixture.app.fetch(request, info);
  assert.equal(response.status, 202);
  const { id } = await response.json();
  assert.ok((await body(fixture, id)).startsWith("Received: from [IPv6:2001:db8::7]\r\n"));
  const message = await fixture.queue.get(id);
  assert.equal(message?.receivedFrom.ip, "2001:db8::7");
  assert.deepEqual(message?.traceContext, { traceparent: TRACEPARENT, tracestate: "vendor=value" });
});

Deno.test("POST /v1/messages marks UTF-8 addresses for SMTPUTF8", async () => {
  await using fixture = await openFixture();
  const response = await fixture.call("/v1/messages", {
    method: "POST",
    json: { from: "jörg@example.org", to: ["<b@example.net>"], subject: "x", text: "y" },
  });
  assert.equal(response.status, 202);
  const message = await fixture.queue.get((await response.json()).id);
  assert.equal(message?.reversePath, "jörg@example.org");
  assert.deepEqual(message?.mailParams, { body: "8BITMIME", smtputf8: true });
});
