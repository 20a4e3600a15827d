import assert from "node:assert/strict";
import { ManualClock } from "../dns/testing.ts";
import { openKvQueue, openMemoryQueue } from "../queue/mod.ts";
import { TlsSessionRecorder } from "./session_recorder.ts";

const NO_POLICY = { type: "no-policy-found", strings: [], mx: [] } as const;

Deno.test("TlsSessionRecorder.record() counts each session in the period it falls in", async () => {
  const clock = new ManualClock(Date.UTC(2024, 2, 1, 23, 59, 59));
  await using queue = openMemoryQueue({ clock });
  const results: string[] = [];
  const recorder = new TlsSessionRecorder({
    store: queue.tlsReports,
    clock,
    metrics: {
      sessionRecorded: (result) => results.push(result),
      knownResults() {},
      reportSubmitted() {},
    },
  }, { intervalMs: 86_400_000 });
  recorder.record({ domain: "example.org", policy: NO_POLICY });
  clock.advance(1_000);
  recorder.record({
    domain: "example.org",
    policy: NO_POLICY,
    failure: { resultType: "starttls-not-supported" },
  });
  await recorder.flush();
  const periods = await queue.tlsReports.periods();
  assert.deepEqual(periods.map((p) => [p.start, p.end]), [
    [Date.UTC(2024, 2, 1), Date.UTC(2024, 2, 2)],
    [Date.UTC(2024, 2, 2), Date.UTC(2024, 2, 3)],
  ]);
  assert.equal(periods[0].policies[0].successes, 1);
  assert.equal(periods[1].policies[0].failures[0].count, 1);
  assert.deepEqual(results, ["success", "starttls-not-supported"]);
});

Deno.test("TlsSessionRecorder.record() skips domain literals, single labels and disabled recording", async () => {
  const clock = new ManualClock();
  await using queue = openMemoryQueue({ clock });
  let enabled = true;
  const recorder = new TlsSessionRecorder({ store: queue.tlsReports, clock }, {
    intervalMs: 3_600_000,
    enabled: () => enabled,
  });
  for (const domain of ["[192.0.2.1]", "localhost", "bücher.example"]) {
    recorder.record({ domain, policy: NO_POLICY });
  }
  enabled = false;
  recorder.record({ domain: "example.org", policy: NO_POLICY });
  await recorder.flush();
  assert.deepEqual(await queue.tlsReports.periods(), []);
});

Deno.test("TlsSessionRecorder.record() never throws when the database fails", async () => {
  const clock = new ManualClock();
  const queue = await openKvQueue(":memory:", { clock });
  await queue.close();
  const recorder = new TlsSessionRecorder({ store: queue.tlsReports, clock }, {
    intervalMs: 86_400_000,
  });
  recorder.record({ domain: "example.org", policy: NO_POLICY });
  await recorder.flush();
});

Deno.test("new TlsSessionRecorder() refuses an interval that is not a positive integer", () => {
  const clock = new ManualClock();
  const store = { record: () => Promise.resolve() };
  assert.throws(() => new TlsSessionRecorder({ store, clock }, { intervalMs: 0 }), RangeError);
  assert.throws(() => new TlsSessionRecorder({ store, clock }, { intervalMs: 1.5 }), RangeError);
});
