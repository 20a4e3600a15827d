import assert from "node:assert/strict";
import { HostLimiter } from "./host_limiter.ts";

function acquireAll(hosts: HostLimiter, host: string): number {
  let taken = 0;
  while (hosts.tryAcquire(host)) taken++;
  return taken;
}

Deno.test("HostLimiter starts at the initial concurrency (default 5, max 10)", () => {
  const hosts = new HostLimiter();
  assert.equal(acquireAll(hosts, "mx.example"), 5);
  assert.equal(acquireAll(hosts, "MX.EXAMPLE"), 0);
  assert.equal(acquireAll(hosts, "other.example"), 5);
});

Deno.test("HostLimiter grows by one per success up to the maximum (slow start)", () => {
  const hosts = new HostLimiter({ initial: 2, max: 4 });
  assert.equal(acquireAll(hosts, "h"), 2);
  hosts.release("h", "success");
  assert.deepEqual(hosts.snapshot(), [{ host: "h", active: 1, limit: 3 }]);
  assert.equal(acquireAll(hosts, "h"), 2);
  hosts.release("h", "success");
  hosts.release("h", "success");
  assert.deepEqual(hosts.snapshot(), [{ host: "h", active: 1, limit: 4 }]);
  assert.equal(acquireAll(hosts, "h"), 3);
  hosts.release("h", "success");
  assert.deepEqual(hosts.snapshot(), [{ host: "h", active: 3, limit: 4 }]);
});

Deno.test("HostLimiter halves on congestion, never below one", () => {
  const hosts = new HostLimiter({ initial: 8, max: 10 });
  assert.equal(acquireAll(hosts, "h"), 8);
  hosts.release("h", "congestion");
  assert.deepEqual(hosts.snapshot(), [{ host: "h", active: 7, limit: 4 }]);
  assert.equal(hosts.tryAcquire("h"), false); // 7 in use, window 4: wait for releases
  for (let i = 0; i < 4; i++) hosts.release("h", "congestion");
  assert.deepEqual(hosts.snapshot(), [{ host: "h", active: 3, limit: 1 }]);
  for (let i = 0; i < 3; i++) hosts.release("h", "neutral");
  assert.deepEqual(hosts.snapshot(), [{ host: "h", active: 0, limit: 1 }]);
  assert.equal(acquireAll(hosts, "h"), 1);
});

Deno.test("HostLimiter remembers a shrunk window and forgets an idle normal one", () => {
  const hosts = new HostLimiter({ initial: 2, max: 4 });
  hosts.tryAcquire("throttled");
  hosts.release("throttled", "congestion");
  hosts.tryAcquire("fine");
  hosts.release("fine", "success");
  assert.deepEqual(hosts.snapshot(), [{ host: "throttled", active: 0, limit: 1 }]);
  hosts.tryAcquire("throttled");
  hosts.release("throttled", "success");
  assert.deepEqual(hosts.snapshot(), []); // back at the initial window: forgotten
});

Deno.test("HostLimiter.release() without a slot throws RangeError", () => {
  const hosts = new HostLimiter();
  assert.throws(() => hosts.release("h", "success"), RangeError);
  hosts.tryAcquire("h");
  hosts.release("h", "neutral");
  assert.throws(() => hosts.release("h", "neutral"), RangeError);
});

Deno.test("HostLimiter keeps memory bounded by forgetting idle hosts", () => {
  const hosts = new HostLimiter({ initial: 2, max: 2, maxHosts: 2 });
  for (const host of ["a", "b", "c"]) {
    hosts.tryAcquire(host);
    hosts.release(host, "congestion"); // shrunk windows are remembered
  }
  assert.deepEqual(hosts.snapshot().map((h) => h.host), ["b", "c"]);
});

Deno.test("HostLimiter rejects bad options", () => {
  assert.throws(() => new HostLimiter({ initial: 0 }), RangeError);
  assert.throws(() => new HostLimiter({ initial: 3, max: 2 }), RangeError);
  assert.throws(() => new HostLimiter({ max: 1.5 }), RangeError);
  assert.equal(acquireAll(new HostLimiter({ max: 3 }), "h"), 3);
});
