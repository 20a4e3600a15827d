import assert from "node:assert/strict";
import { ConnectionTimers, type TimeoutKind } from "./timers.ts";

const TIMEOUTS = { command: 60, data: 40, dataTotal: 100, tls: 30, session: 10_000 };

function track() {
  const fired: TimeoutKind[] = [];
  return { fired, onTimeout: (kind: TimeoutKind) => fired.push(kind) };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("ConnectionTimers fires the command timeout for a silent client", async () => {
  const { fired, onTimeout } = track();
  const timers = new ConnectionTimers(TIMEOUTS, onTimeout);
  timers.startSession();
  timers.idle("command");
  await sleep(90);
  assert.deepEqual(fired, ["command"]);
  timers.clear();
});

Deno.test("ConnectionTimers reads push the idle deadline back", async () => {
  const { fired, onTimeout } = track();
  const timers = new ConnectionTimers(TIMEOUTS, onTimeout);
  timers.idle("command");
  for (let i = 0; i < 4; i++) {
    await sleep(30);
    timers.idle("command");
  }
  assert.deepEqual(fired, [], "activity every 30 ms keeps a 60 ms timeout from firing");
  timers.clear();
});

Deno.test("ConnectionTimers limits the whole DATA phase even while bytes keep coming", async () => {
  const { fired, onTimeout } = track();
  const timers = new ConnectionTimers(TIMEOUTS, onTimeout);
  const started = performance.now();
  while (fired.length === 0 && performance.now() - started < 1000) {
    timers.idle("data");
    await sleep(20);
  }
  assert.deepEqual(fired, ["data-total"]);
  assert.ok(performance.now() - started >= 95);
  timers.clear();
});

Deno.test("ConnectionTimers uses the data timeout in DATA and clears everything on clear()", async () => {
  const { fired, onTimeout } = track();
  const timers = new ConnectionTimers(TIMEOUTS, onTimeout);
  timers.idle("data");
  await sleep(55);
  assert.deepEqual(fired, ["data"]);
  timers.idle("command");
  timers.clear();
  await sleep(80);
  assert.deepEqual(fired, ["data"]);
});
