import assert from "node:assert/strict";
import fc from "fast-check";
import { parseStsRecord, selectStsRecord } from "./txt_record.ts";

Deno.test("parseStsRecord() reads the RFC 8461 §3.1 example and its variants", () => {
  assert.deepEqual(parseStsRecord("v=STSv1; id=20160831085700Z;"), {
    kind: "record",
    id: "20160831085700Z",
  });
  assert.deepEqual(parseStsRecord("v=STSv1;id=abc"), { kind: "record", id: "abc" });
  assert.deepEqual(parseStsRecord("v=STSv1 ;\tid=abc ; x-ext=v/1:2 ;"), {
    kind: "record",
    id: "abc",
  });
  assert.deepEqual(parseStsRecord(`v=STSv1; id=${"a".repeat(32)}`), {
    kind: "record",
    id: "a".repeat(32),
  });
});

Deno.test("parseStsRecord() rejects records without a valid id or with bad fields", () => {
  const bad = [
    "v=STSv1",
    "v=STSv1;",
    "v=STSv1; id=",
    `v=STSv1; id=${"a".repeat(33)}`,
    "v=STSv1; id=2024-01-01",
    "v=STSv1; id=abc;; ",
    "v=STSv1; id=abc; ext",
    "v=STSv1; id=abc; ext=a=b",
    "v=STSv1; id=abc; ext=a b",
    "id=abc; v=STSv1",
    "v=STSv2; id=abc",
  ];
  for (const text of bad) assert.equal(parseStsRecord(text).kind, "invalid", text);
});

Deno.test("selectStsRecord() discards other records and needs exactly one STS record", () => {
  assert.deepEqual(selectStsRecord([]), { kind: "none" });
  assert.deepEqual(selectStsRecord(["v=spf1 -all", "google-site-verification=x"]), {
    kind: "none",
  });
  assert.deepEqual(selectStsRecord(["v=spf1 -all", "v=STSv1; id=1"]), {
    kind: "record",
    id: "1",
  });
  // "v=STSv10" does not begin with the version field.
  assert.deepEqual(selectStsRecord(["v=STSv10; id=2", "v=STSv1; id=1"]), {
    kind: "record",
    id: "1",
  });
  assert.deepEqual(selectStsRecord(["v=STSv1; id=1", "v=STSv1; id=2"]), {
    kind: "invalid",
    reason: "2 STS records instead of one",
  });
  assert.equal(selectStsRecord(["v=STSv1; id=!"]).kind, "invalid");
});

Deno.test("selectStsRecord() never throws on arbitrary records (property)", () => {
  const record = fc.oneof(
    fc.string({ maxLength: 60 }),
    fc.string({ maxLength: 40 }).map((rest) => `v=STSv1${rest}`),
  );
  fc.assert(
    fc.property(fc.array(record, { maxLength: 4 }), (texts) => {
      const result = selectStsRecord(texts);
      if (result.kind === "record") assert.match(result.id, /^[A-Za-z0-9]{1,32}$/);
    }),
    { numRuns: 2000 },
  );
});
