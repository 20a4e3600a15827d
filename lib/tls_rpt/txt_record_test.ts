import assert from "node:assert/strict";
import fc from "fast-check";
import { formatTlsRptRecord, parseTlsRptRecord, selectTlsRptRecord } from "./txt_record.ts";

Deno.test("parseTlsRptRecord() reads the RFC 8460 §3 examples and their variants", () => {
  assert.deepEqual(parseTlsRptRecord("v=TLSRPTv1; rua=mailto:reports@example.com"), {
    kind: "record",
    rua: ["mailto:reports@example.com"],
  });
  assert.deepEqual(parseTlsRptRecord("v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt"), {
    kind: "record",
    rua: ["https://reporting.example.com/v1/tlsrpt"],
  });
  assert.deepEqual(
    parseTlsRptRecord("v=TLSRPTv1 ;rua=mailto:a@example.com ,\thttps://r.example.com/x ; ext=1;"),
    { kind: "record", rua: ["mailto:a@example.com", "https://r.example.com/x"] },
  );
  // Other schemes are valid but unusable; they are left out.
  assert.deepEqual(parseTlsRptRecord("v=TLSRPTv1; rua=ftp://x.example,mailto:a@example.com"), {
    kind: "record",
    rua: ["mailto:a@example.com"],
  });
});

Deno.test("parseTlsRptRecord() rejects records without a usable rua or with bad fields", () => {
  const bad = [
    "v=TLSRPTv1",
    "v=TLSRPTv1;",
    "v=TLSRPTv1; rua=",
    "v=TLSRPTv1; rua=mailto:a@example.com,",
    "v=TLSRPTv1; rua=ftp://x.example",
    "v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com",
    "v=TLSRPTv1; rua=mailto:a b@example.com",
    "v=TLSRPTv1; rua=not a uri",
    "v=TLSRPTv1; rua=mailto:a@example.com; ext",
    "v=TLSRPTv1; rua=mailto:a@example.com;; ",
    "rua=mailto:a@example.com; v=TLSRPTv1",
    "v=TLSRPTv2; rua=mailto:a@example.com",
  ];
  for (const text of bad) assert.equal(parseTlsRptRecord(text).kind, "invalid", text);
});

Deno.test("selectTlsRptRecord() discards other records and needs exactly one TLSRPT record", () => {
  const record = "v=TLSRPTv1; rua=mailto:a@example.com";
  assert.deepEqual(selectTlsRptRecord([]), { kind: "none" });
  assert.deepEqual(selectTlsRptRecord(["v=spf1 -all"]), { kind: "none" });
  assert.deepEqual(selectTlsRptRecord(["v=TLSRPTv10; rua=mailto:b@example.com", record]), {
    kind: "record",
    rua: ["mailto:a@example.com"],
  });
  assert.deepEqual(selectTlsRptRecord([record, record]), {
    kind: "invalid",
    reason: "2 TLSRPT records instead of one",
  });
});

Deno.test("selectTlsRptRecord() never throws on arbitrary records (property)", () => {
  const record = fc.oneof(
    fc.string({ maxLength: 60 }),
    fc.string({ maxLength: 50 }).map((rest) => `v=TLSRPTv1${rest}`),
    fc.string({ maxLength: 30 }).map((rest) => `v=TLSRPTv1; rua=${rest}`),
  );
  fc.assert(
    fc.property(fc.array(record, { maxLength: 4 }), (texts) => {
      const result = selectTlsRptRecord(texts);
      if (result.kind === "record") {
        assert.ok(result.rua.length > 0);
        for (const uri of result.rua) assert.match(uri, /^(?:mailto|https):[^\s,;]+$/i);
      }
    }),
    { numRuns: 2000 },
  );
});

Deno.test("parseTlsRptRecord() round-trips what formatTlsRptRecord() writes (property)", () => {
  const part = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,15}$/);
  const uri = fc.oneof(
    fc.tuple(part, part).map(([local, domain]) => `mailto:${local}@${domain}`),
    fc.tuple(part, fc.array(part, { maxLength: 3 })).map(([host, path]) =>
      `https://${host}/${path.join("/")}`
    ),
  );
  fc.assert(
    fc.property(fc.array(uri, { minLength: 1, maxLength: 4 }), (rua) => {
      assert.deepEqual(parseTlsRptRecord(formatTlsRptRecord(rua)), { kind: "record", rua });
    }),
    { numRuns: 1000 },
  );
});
