import assert from "node:assert/strict";
import { selectSignedFields, signatureField } from "./_signature.ts";
import type { HeaderField } from "../smtp/mod.ts";
import { makeTestKeys } from "./testing.ts";

const FIELDS: HeaderField[] = [
  { name: "received", text: "Received: from a" },
  { name: "subject", text: "Subject: first" },
  { name: "from", text: "From: a@example.test" },
  { name: "to", text: "To: b@example.org" },
  { name: "subject", text: "Subject: second" },
];

Deno.test("selectSignedFields() lists each present instance bottom-up and over-signs once more", () => {
  const selected = selectSignedFields(
    { headers: ["From", "Subject", "Cc", "To"], oversign: ["From", "Reply-To"] },
    FIELDS,
  );
  assert.deepEqual(selected.names, ["From", "From", "Subject", "Subject", "To", "Reply-To"]);
  assert.deepEqual(selected.instances.map((field) => field.text), [
    "From: a@example.test",
    "Subject: second",
    "Subject: first",
    "To: b@example.org",
  ]);
});

Deno.test("selectSignedFields() skips names that are absent and not over-signed", () => {
  const selected = selectSignedFields({ headers: ["Cc", "From"], oversign: [] }, FIELDS);
  assert.deepEqual(selected.names, ["From"]);
});

Deno.test("signatureField() folds to 76 columns and ends with a folded b= value", async () => {
  await using keys = await makeTestKeys([{
    algorithm: "rsa",
    headers: ["From", "To", "Subject", "Date", "Message-ID", "In-Reply-To", "References"],
  }]);
  const field = await signatureField({
    key: keys.keys[0],
    fields: FIELDS,
    bodyHash: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
    time: 1_700_000_000,
  });
  const lines = field.split("\r\n");
  assert.equal(lines.pop(), "");
  assert.ok(lines.every((line) => line.length <= 76), field);
  assert.ok(lines.slice(1).every((line) => line.startsWith("\t")));
  assert.match(
    lines[0],
    /^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed\/relaxed; d=example\.test;/,
  );
  const unfolded = field.replace(/\r\n\t/g, " ");
  assert.match(unfolded, /h=From:From:To:Subject:Subject; bh=47DEQ[^;]+; b=[A-Za-z0-9+/ ]+=*\r\n$/);
  assert.match(unfolded, / t=1700000000; /);
});
