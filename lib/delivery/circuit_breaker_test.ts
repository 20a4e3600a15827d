import assert from "node:assert/strict";
import { CircuitBreakers } from "./circuit_breaker.ts";

function setup(options: { threshold?: number; windowMs?: number; openMs?: number } = {}) {
  const clock = { time: 0, now: () => clock.time };
  return { clock, breakers: new CircuitBreakers({ clock, ...options }) };
}

function fail(breakers: CircuitBreakers, key: string, times: number) {
  for (let i = 0; i < times; i++) breakers.record(key, "temporary-failure");
}

Deno.test("CircuitBreakers opens after threshold temporary failures within the window", () => {
  const { clock, breakers } = setup();
  fail(breakers, "mx.example", 4);
  assert.deepEqual(breakers.allow("mx.example"), { allowed: true, probe: false });
  clock.time = 59_999;
  fail(breakers, "mx.example", 1);
  assert.deepEqual(breakers.allow("mx.example"), { allowed: false, retryAt: 59_999 + 300_000 });
  assert.deepEqual(breakers.states(), [{
    key: "mx.example",
    state: "open",
    failures: 0,
    openedAt: 59_999,
    trips: 1,
    recoveries: 0,
  }]);
  assert.deepEqual(breakers.allow("other.example"), { allowed: true, probe: false });
});

Deno.test("CircuitBreakers forgets failures older than the window", () => {
  const { clock, breakers } = setup({ threshold: 3, windowMs: 1000 });
  fail(breakers, "k", 2);
  clock.time = 1000;
  fail(breakers, "k", 2);
  assert.equal(breakers.allow("k").allowed, true);
  assert.equal(breakers.states()[0].failures, 2);
  fail(breakers, "k", 1);
  assert.equal(breakers.allow("k").allowed, false);
});

Deno.test("CircuitBreakers half-open lets exactly one probe through; success closes", () => {
  const { clock, breakers } = setup({ threshold: 1, openMs: 1000 });
  fail(breakers, "k", 1);
  clock.time = 999;
  assert.deepEqual(breakers.allow("k"), { allowed: false, retryAt: 1000 });
  clock.time = 1000;
  assert.deepEqual(breakers.allow("k"), { allowed: true, probe: true });
  assert.equal(breakers.states()[0].state, "half-open");
  assert.deepEqual(breakers.allow("k"), { allowed: false, retryAt: 1000 + 600_000 });
  assert.deepEqual(breakers.allow("k"), { allowed: false, retryAt: 1000 + 600_000 });
  breakers.record("k", "success");
  assert.deepEqual(breakers.allow("k"), { allowed: true, probe: false });
  assert.deepEqual(breakers.allow("k"), { allowed: true, probe: false });
  const [state] = breakers.states();
  assert.deepEqual([state.state, state.trips, state.recoveries], ["closed", 1, 1]);
});

Deno.test("CircuitBreakers re-opens when the probe fails", () => {
  const { clock, breakers } = setup({ threshold: 2, openMs: 1000 });
  fail(breakers, "k", 2);
  clock.time = 1000;
  assert.equal(breakers.allow("k").allowed, true);
  clock.time = 1500;
  breakers.record("k", "temporary-failure");
  assert.deepEqual(breakers.allow("k"), { allowed: false, retryAt: 2500 });
  assert.deepEqual(breakers.states()[0], {
    key: "k",
    state: "open",
    failures: 0,
    openedAt: 1500,
    trips: 2,
    recoveries: 0,
  });
  clock.time = 2500;
  assert.deepEqual(breakers.allow("k"), { allowed: true, probe: true });
});

Deno.test("CircuitBreakers lets another probe through when a probe's result never comes", () => {
  const clock = { time: 0, now: () => clock.time };
  const breakers = new CircuitBreakers({ clock, threshold: 1, openMs: 10, probeTimeoutMs: 100 });
  fail(breakers, "k", 1);
  clock.time = 10;
  assert.equal(breakers.allow("k").allowed, true);
  clock.time = 109;
  assert.equal(breakers.allow("k").allowed, false);
  clock.time = 110;
  assert.deepEqual(breakers.allow("k"), { allowed: true, probe: true });
});

Deno.test("CircuitBreakers does not count permanent failures; they close like a success", () => {
  const { clock, breakers } = setup({ threshold: 2, openMs: 1000 });
  for (let i = 0; i < 10; i++) breakers.record("k", "permanent-failure");
  assert.deepEqual(breakers.states(), []);
  fail(breakers, "k", 1);
  breakers.record("k", "permanent-failure"); // the server answered: failures clear
  fail(breakers, "k", 1);
  assert.equal(breakers.allow("k").allowed, true);
  fail(breakers, "k", 1);
  assert.equal(breakers.allow("k").allowed, false);
  clock.time = 1000;
  assert.equal(breakers.allow("k").allowed, true);
  breakers.record("k", "permanent-failure");
  assert.equal(breakers.states()[0].state, "closed");
});

Deno.test("CircuitBreakers ignores results reported while open", () => {
  const { clock, breakers } = setup({ threshold: 1, openMs: 1000 });
  fail(breakers, "k", 1);
  clock.time = 500;
  breakers.record("k", "success");
  fail(breakers, "k", 3);
  assert.deepEqual(breakers.allow("k"), { allowed: false, retryAt: 1000 });
});

Deno.test("CircuitBreakers.reset() closes a breaker and forgets it", () => {
  const { breakers } = setup({ threshold: 1 });
  fail(breakers, "k", 1);
  breakers.reset("k");
  assert.deepEqual(breakers.allow("k"), { allowed: true, probe: false });
  assert.deepEqual(breakers.states(), []);
});

Deno.test("CircuitBreakers keeps memory bounded, dropping closed breakers first", () => {
  const clock = { time: 0, now: () => clock.time };
  const breakers = new CircuitBreakers({ clock, threshold: 2, maxKeys: 2 });
  fail(breakers, "open", 2);
  fail(breakers, "closed", 1);
  assert.equal(breakers.states().length, 2);
  breakers.record("new", "temporary-failure");
  assert.deepEqual(breakers.states().map((s) => s.key), ["open", "new"]);
});

Deno.test("CircuitBreakers rejects bad options", () => {
  const clock = { now: () => 0 };
  assert.throws(() => new CircuitBreakers({ clock, threshold: 0 }), RangeError);
  assert.throws(() => new CircuitBreakers({ clock, windowMs: -1 }), RangeError);
  assert.throws(() => new CircuitBreakers({ clock, openMs: NaN }), RangeError);
});

Deno.test("CircuitBreakers.counters() keeps trips and recoveries across reset()", () => {
  const { clock, breakers } = setup({ threshold: 1, openMs: 10 });
  fail(breakers, "a.example", 1);
  clock.time = 10;
  assert.deepEqual(breakers.allow("a.example"), { allowed: true, probe: true });
  breakers.record("a.example", "success");
  fail(breakers, "b.example", 1);
  breakers.reset("b.example");
  assert.deepEqual(breakers.counters(), { trips: 2, recoveries: 1 });
  assert.equal(breakers.states().length, 1);
});
