import assert from "node:assert/strict";
import fc from "fast-check";
import { DkimSigner, keysFor, type SigningResult } from "./signer.ts";
import type { DkimKey } from "./keys.ts";
import { makeTestKeys, verifyWithMailauth } from "./testing.ts";
import { concatBytes } from "../smtp/mod.ts";

const encoder = new TextEncoder();
const NOW = Date.UTC(2025, 0, 2, 3, 4, 5);

async function sign(
  signer: DkimSigner,
  message: string | Uint8Array,
  pieces = [message.length || 1],
): Promise<SigningResult> {
  const bytes = typeof message === "string" ? encoder.encode(message) : message;
  const messageSigner = signer.start();
  assert.ok(messageSigner);
  for (let offset = 0, i = 0; offset < bytes.length; i++) {
    const size = Math.max(1, pieces[i % pieces.length]);
    messageSigner.update(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return await messageSigner.finish();
}

function fakeKey(domain: string, subdomains = false): DkimKey {
  return { domain, selector: "s1", subdomains } as DkimKey;
}

Deno.test("keysFor() matches the exact domain, subdomains only when allowed, most specific first", () => {
  const keys = [
    fakeKey("example.test"),
    fakeKey("example.test"),
    fakeKey("corp.test", true),
    fakeKey("mail.corp.test"),
  ];
  assert.deepEqual(keysFor(keys, "example.test"), [keys[0], keys[1]]);
  assert.deepEqual(keysFor(keys, "sub.example.test"), []);
  assert.deepEqual(keysFor(keys, "corp.test"), [keys[2]]);
  assert.deepEqual(keysFor(keys, "eu.corp.test"), [keys[2]]);
  assert.deepEqual(keysFor(keys, "mail.corp.test"), [keys[3]]);
  assert.deepEqual(keysFor(keys, "notcorp.test"), []);
});

Deno.test("DkimSigner.start() is undefined without keys", () => {
  assert.equal(new DkimSigner([]).start(), undefined);
});

Deno.test("DkimSigner signs with every key of the From domain, and both verify", async () => {
  await using keys = await makeTestKeys([{ algorithm: "rsa" }, { algorithm: "ed25519" }]);
  const signer = new DkimSigner(keys.keys, { now: () => NOW });
  const message = "Received: from client\r\n\tby mx\r\nFrom: Alice <alice@Example.test>\r\n" +
    "To: bob@example.org\r\nSubject: hello\r\n\r\nHi Bob,\r\n\r\n  bye\r\n";
  const result = await sign(signer, message, [3, 17]);
  assert.equal(result.kind, "signed");
  if (result.kind !== "signed") return;
  assert.deepEqual(result.signatures.map((s) => s.algorithm), ["rsa", "ed25519"]);
  assert.match(result.header, /^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed\/relaxed;/);
  assert.match(result.header, /\r\nDKIM-Signature: v=1; a=ed25519-sha256;/);
  assert.match(result.header, /h=From:From:To:Subject;/);
  assert.match(result.header, new RegExp(`t=${NOW / 1000};`));
  assert.ok(result.header.split("\r\n").every((line) => line.length <= 78));
  const verdicts = await verifyWithMailauth(result.header + message, keys.records);
  assert.deepEqual(verdicts.map((v) => [v.result, v.selector]), [
    ["pass", "rsa"],
    ["pass", "ed25519"],
  ]);
});

Deno.test("DkimSigner leaves a message unsigned without one From field or a key for its domain", async () => {
  await using keys = await makeTestKeys([{ algorithm: "ed25519" }]);
  const signer = new DkimSigner(keys.keys);
  const cases: [string, string][] = [
    ["To: b@example.org\r\n\r\nbody\r\n", "no From field"],
    ["From: a@example.test\r\nFrom: b@example.test\r\n\r\nx\r\n", "more than one From field"],
    ["From: a@other.test\r\n\r\nx\r\n", 'no key for From domain "other.test"'],
    ["From: a@sub.example.test\r\n\r\nx\r\n", 'no key for From domain "sub.example.test"'],
    ["From: undisclosed:;\r\n\r\nx\r\n", "no address in the From field"],
    [`From: a@example.test\r\nSubject: ${"x ".repeat(200_000)}\r\n\r\n`, "too large"],
  ];
  for (const [message, reason] of cases) {
    const result = await sign(signer, message);
    assert.equal(result.kind, "unsigned", message.slice(0, 40));
    if (result.kind === "unsigned") assert.ok(result.reason.includes(reason), result.reason);
  }
});

Deno.test("DkimSigner signs a subdomain's mail with d= the configured domain when subdomains is on", async () => {
  await using keys = await makeTestKeys([{ algorithm: "ed25519", subdomains: true }]);
  const message = "From: a@eu.example.test\r\n\r\nx\r\n";
  const result = await sign(new DkimSigner(keys.keys), message);
  assert.equal(result.kind, "signed");
  if (result.kind !== "signed") return;
  assert.match(result.header, /d=example\.test;/);
  assert.equal((await verifyWithMailauth(result.header + message, keys.records))[0].result, "pass");
});

Deno.test("DkimSigner signs a message that ends inside its header section", async () => {
  await using keys = await makeTestKeys([{ algorithm: "ed25519" }]);
  const message = "From: a@example.test\r\nSubject: no body";
  const result = await sign(new DkimSigner(keys.keys), message, [5]);
  assert.equal(result.kind, "signed");
  if (result.kind !== "signed") return;
  const verdicts = await verifyWithMailauth(result.header + message + "\r\n", keys.records);
  assert.equal(verdicts[0].result, "pass");
});

Deno.test("DkimSigner.reconfigure() applies to messages started afterwards", async () => {
  await using first = await makeTestKeys([{ algorithm: "ed25519", selector: "old" }]);
  await using second = await makeTestKeys([{ algorithm: "ed25519", selector: "new" }]);
  const signer = new DkimSigner(first.keys);
  const started = signer.start();
  signer.reconfigure(second.keys);
  const message = encoder.encode("From: a@example.test\r\n\r\nx\r\n");
  started?.update(message);
  const before = await started?.finish();
  const after = await sign(signer, message);
  assert.match(before?.kind === "signed" ? before.header : "", /s=old;/);
  assert.match(after.kind === "signed" ? after.header : "", /s=new;/);
  signer.reconfigure([]);
  assert.equal(signer.start(), undefined);
});

/** A header field value: words, spaces, tabs and folds. */
const fieldValue = fc.array(
  fc.oneof(
    fc.stringMatching(/^[A-Za-z0-9<>@.,;:"()\[\]=?!-]{1,12}$/),
    fc.constantFrom(" ", "  ", "\t", "\r\n ", "\r\n\t"),
  ),
  { minLength: 1, maxLength: 8 },
).map((parts) => parts.join("").replace(/^\r\n/, "").replace(/(\r\n[ \t])+$/, ""));

const headerSet = fc.array(
  fc.tuple(
    fc.constantFrom(
      "To",
      "cc",
      "Subject",
      "DATE",
      "Message-ID",
      "X-Mailer",
      "Received",
      "Reply-To",
    ),
    fc.constantFrom(":", ": ", " :", ":\t"),
    fieldValue,
  ).map(([name, colon, value]) => `${name}${colon}${value}\r\n`),
  { maxLength: 8 },
);

const bodyText = fc.array(
  fc.array(fc.constantFrom("a", "Z", "0", " ", "\t", ".", "\u00e9", "\r", ""), { maxLength: 30 })
    .map((parts) => parts.join("")),
  { maxLength: 15 },
).chain((lines) => fc.constantFrom("", "\r\n").map((end) => lines.join("\r\n") + end));

Deno.test("DkimSigner signatures verify for random headers and bodies, and fail after a body change", async () => {
  await using keys = await makeTestKeys([{ algorithm: "rsa" }, { algorithm: "ed25519" }]);
  const signer = new DkimSigner(keys.keys);
  await fc.assert(
    fc.asyncProperty(
      headerSet,
      fc.nat(8),
      bodyText,
      fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 4 }),
      fc.nat(),
      async (headers, fromAt, body, pieces, where) => {
        const fields = [...headers];
        fields.splice(Math.min(fromAt, fields.length), 0, "From: Al <al@example.test>\r\n");
        const message = encoder.encode(`${fields.join("")}\r\n${body}`);
        const result = await sign(signer, message, pieces);
        assert.equal(result.kind, "signed");
        if (result.kind !== "signed") return;
        const signed = concatBytes([encoder.encode(result.header), message]);
        const verdicts = await verifyWithMailauth(signed, keys.records);
        assert.deepEqual(verdicts.map((v) => v.result), ["pass", "pass"]);
        // Any octet added to the body (not white space, not a line break) changes its hash.
        const at = signed.length - (where % (encoder.encode(body).length + 1));
        const changed = concatBytes([
          signed.subarray(0, at),
          encoder.encode("X"),
          signed.subarray(at),
        ]);
        // (mailauth reports a body hash mismatch as "neutral", a bad signature as "fail").
        const after = await verifyWithMailauth(changed, keys.records);
        assert.equal(after.length, 2);
        assert.ok(after.every((v) => v.result === "neutral" || v.result === "fail"));
        // An added From field breaks the signature too (From is over-signed).
        const forged = concatBytes([encoder.encode("From: eve@evil.test\r\n"), signed]);
        const forgedVerdicts = await verifyWithMailauth(forged, keys.records);
        assert.deepEqual(forgedVerdicts.map((v) => v.result), ["fail", "fail"]);
      },
    ),
    { numRuns: 60 },
  );
});
