import assert from "node:assert/strict";
import { openKvQueue, openMemoryQueue, type QueueStore, type TlsSessionRecord } from "./mod.ts";
import { ManualClock } from "./testing.ts";

const PERIOD = { start: 1_700_006_400_000, end: 1_700_092_800_000 };
const STS = {
  type: "sts",
  id: "20240101",
  strings: ["version: STSv1"],
  mx: ["mx.a.test"],
} as const;
const NONE = { type: "no-policy-found", strings: [], mx: [] } as const;

function session(overrides: Partial<TlsSessionRecord> = {}): TlsSessionRecord {
  return { period: PERIOD, domain: "a.test", policy: STS, ...overrides };
}

const STARTTLS_FAILURE = {
  resultType: "starttls-not-supported",
  receivingMxHostname: "mx.a.test",
  receivingIp: "192.0.2.1",
  sendingMtaIp: "198.51.100.7",
};

/** The contract every queue's `tlsReports` passes. */
function runTlsReportContract(name: string, open: () => Promise<QueueStore>): void {
  Deno.test(`${name}: tlsReports.periods() sums sessions by period, domain and policy`, async () => {
    await using queue = await open();
    const store = queue.tlsReports;
    await Promise.all([
      store.record(session()),
      store.record(session()),
      store.record(session({ failure: STARTTLS_FAILURE })),
      store.record(session({ domain: "b.test", policy: NONE })),
      store.record(session({ period: { start: 0, end: PERIOD.start }, policy: NONE })),
    ]);
    const periods = await store.periods();
    assert.deepEqual(
      periods.map((p) => [p.start, p.domain, p.from]),
      [[0, "a.test", 0], [PERIOD.start, "a.test", PERIOD.start], [
        PERIOD.start,
        "b.test",
        PERIOD.start,
      ]],
    );
    assert.deepEqual(periods[1].policies, [
      { policy: STS, successes: 2, failures: [{ ...STARTTLS_FAILURE, count: 1 }] },
    ]);
    assert.deepEqual(periods[2].policies, [{ policy: NONE, successes: 1, failures: [] }]);
  });

  Deno.test(`${name}: tlsReports.settle() removes what was read and keeps later sessions`, async () => {
    await using queue = await open();
    const store = queue.tlsReports;
    await store.record(session());
    await store.record(session({ failure: STARTTLS_FAILURE }));
    const [read] = await store.periods();
    await store.record(session());
    await store.settle(read);
    const [left] = await store.periods();
    assert.deepEqual(left.policies, [{ policy: STS, successes: 1, failures: [] }]);
    await store.settle(left);
    assert.deepEqual(await store.periods(), []);
  });

  Deno.test(`${name}: tlsReports.settle() with an early end makes the next report begin there`, async () => {
    await using queue = await open();
    const store = queue.tlsReports;
    await store.record(session());
    const [read] = await store.periods();
    const until = PERIOD.start + 3_600_000;
    await store.settle(read, until);
    assert.deepEqual(
      (await store.periods()).map((p) => [p.domain, p.from, p.policies.length]),
      [["a.test", until, 0]],
    );
    await store.record(session());
    const [next] = await store.periods();
    assert.equal(next.from, until);
    assert.equal(next.policies[0].successes, 1);
    await store.settle(next);
    assert.deepEqual(await store.periods(), []);
  });

  Deno.test(`${name}: tlsReports keeps pending submissions until deleted, oldest first`, async () => {
    await using queue = await open();
    const store = queue.tlsReports;
    const pending = (id: string, createdAt: number) => ({
      id,
      uri: "https://reports.a.test/tlsrpt",
      domain: "a.test",
      reportId: `report-${id}`,
      fileName: `mx.test!a.test!0!1.json.gz`,
      range: { begin: 0, end: 1 },
      body: new Uint8Array([31, 139, 8]),
      attempts: 1,
      createdAt,
    });
    await store.savePending(pending("b", 2));
    await store.savePending(pending("a", 1));
    assert.deepEqual((await store.pending()).map((p) => p.id), ["a", "b"]);
    assert.deepEqual((await store.pending())[0], pending("a", 1));
    await store.savePending({ ...pending("a", 1), attempts: 2 });
    await store.deletePending("b");
    assert.deepEqual((await store.pending()).map((p) => [p.id, p.attempts]), [["a", 2]]);
  });
}

runTlsReportContract(
  "openMemoryQueue()",
  () => Promise.resolve(openMemoryQueue({ clock: new ManualClock() })),
);
runTlsReportContract("openKvQueue()", () => openKvQueue(":memory:", { clock: new ManualClock() }));

Deno.test("openKvQueue(): tlsReports counts survive a restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "empath-tlsrpt-" });
  try {
    const path = `${dir}/queue.kv`;
    {
      await using queue = await openKvQueue(path, { clock: new ManualClock() });
      await queue.tlsReports.record(session({ failure: STARTTLS_FAILURE }));
    }
    await using reopened = await openKvQueue(path, { clock: new ManualClock() });
    const [period] = await reopened.tlsReports.periods();
    assert.deepEqual(period.policies[0].failures, [{ ...STARTTLS_FAILURE, count: 1 }]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
