import assert from "node:assert/strict";
import { nextRunAt, TlsReportSchedule } from "./report_schedule.ts";

const DAY = 86_400_000;

Deno.test("nextRunAt() waits for the end of the period, the first run at most a minute", () => {
  const noon = Date.UTC(2024, 2, 1, 12);
  assert.equal(nextRunAt(noon, DAY, false), Date.UTC(2024, 2, 2, 0, 1));
  assert.equal(nextRunAt(noon, DAY, true), noon + 60_000);
  // Just before midnight the first run is the one after the period.
  const midnight = Date.UTC(2024, 2, 2);
  assert.equal(nextRunAt(midnight - 1_000, DAY, true), midnight + 59_000);
  assert.equal(nextRunAt(midnight - 1_000, DAY, false), midnight + 60_000);
  // Short periods (tests) wait a tenth of the period.
  assert.equal(nextRunAt(10_050, 1_000, false), 11_100);
  assert.equal(nextRunAt(10_050, 1_000, true), 11_050);
});

Deno.test("TlsReportSchedule runs after each period until stopped, and survives failing runs", async () => {
  let runs = 0;
  const schedule = new TlsReportSchedule(() => {
    runs++;
    return runs === 1 ? Promise.reject(new Error("database is locked")) : Promise.resolve();
  }, { intervalMs: 40, clock: { now: () => Date.now() } });
  schedule.start();
  schedule.start();
  while (runs < 3) await new Promise((resolve) => setTimeout(resolve, 10));
  await schedule.stop();
  // No run can follow: stop() leaves no timer, which Deno's op sanitizer checks at the end of
  // this test, and a stopped schedule does not start again.
  const stopped = runs;
  schedule.start();
  await schedule.stop();
  assert.equal(runs, stopped);
});
