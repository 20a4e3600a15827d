import assert from "node:assert/strict";
import {
  ConnectionPool,
  type PoolableConnection,
  poolKey,
  type PoolTimers,
} from "./connection_pool.ts";

/** A connection that records what the pool did to it. */
class FakeConnection implements PoolableConnection {
  static opened = 0;
  readonly id = ++FakeConnection.opened;
  usable = true;
  resetAnswer = true;
  resets = 0;
  quits = 0;
  closes = 0;

  reset(): Promise<boolean> {
    this.resets++;
    if (!this.resetAnswer) this.usable = false;
    return Promise.resolve(this.resetAnswer);
  }
  quit(): Promise<void> {
    this.quits++;
    this.usable = false;
    return Promise.resolve();
  }
  close(): Promise<void> {
    this.closes++;
    this.usable = false;
    return Promise.resolve();
  }
}

/** Timers driven by hand: `advance(ms)` runs what is due. */
class ManualTimers implements PoolTimers {
  now = 0;
  #next = 0;
  readonly #pending = new Map<number, { at: number; callback: () => void }>();

  setTimeout(callback: () => void, ms: number): unknown {
    const id = ++this.#next;
    this.#pending.set(id, { at: this.now + ms, callback });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.#pending.delete(handle as number);
  }
  get pending(): number {
    return this.#pending.size;
  }
  advance(ms: number): void {
    this.now += ms;
    for (const [id, { at, callback }] of [...this.#pending]) {
      if (at <= this.now) {
        this.#pending.delete(id);
        callback();
      }
    }
  }
}

const KEY = "smtp 192.0.2.1:25 mx.example opportunistic noverify -";

Deno.test("ConnectionPool.take() misses on an empty pool, then hits after give() with an RSET", async () => {
  const timers = new ManualTimers();
  const pool = new ConnectionPool<FakeConnection>({ timers });
  assert.equal(await pool.take(KEY), undefined);
  const connection = new FakeConnection();
  await pool.give(KEY, connection);
  assert.equal(pool.stats().size, 1);
  assert.equal(await pool.take(KEY), connection);
  assert.equal(connection.resets, 1);
  assert.equal(await pool.take("smtp 192.0.2.2:25 other opportunistic noverify -"), undefined);
  assert.deepEqual(pool.stats(), { hits: 1, misses: 2, resetFailures: 0, expired: 0, size: 0 });
  assert.equal(timers.pending, 0);
  await pool.close();
});

Deno.test("ConnectionPool.take() closes a connection whose RSET fails and tries the next", async () => {
  const timers = new ManualTimers();
  const pool = new ConnectionPool<FakeConnection>({ timers });
  const good = new FakeConnection();
  const broken = new FakeConnection();
  broken.resetAnswer = false;
  await pool.give(KEY, good);
  await pool.give(KEY, broken); // most recently used: tried first
  assert.equal(await pool.take(KEY), good);
  assert.equal(broken.closes, 1);
  broken.resetAnswer = true;
  // A connection the server already closed fails the health check too.
  const dropped = new FakeConnection();
  await pool.give(KEY, dropped);
  dropped.usable = false;
  assert.equal(await pool.take(KEY), undefined);
  assert.deepEqual(pool.stats(), { hits: 1, misses: 1, resetFailures: 2, expired: 0, size: 0 });
  await pool.close();
});

Deno.test("ConnectionPool quits idle connections after the idle timeout and clears timers", async () => {
  const timers = new ManualTimers();
  const pool = new ConnectionPool<FakeConnection>({ timers, idleTimeoutMs: 30_000 });
  const first = new FakeConnection();
  await pool.give(KEY, first);
  timers.advance(20_000);
  const second = new FakeConnection();
  await pool.give(KEY, second);
  timers.advance(10_000);
  assert.equal(first.quits, 1);
  assert.equal(second.quits, 0);
  assert.equal(pool.stats().size, 1);
  assert.equal(pool.stats().expired, 1);
  assert.equal(await pool.take(KEY), second);
  timers.advance(60_000);
  assert.equal(second.quits, 0, "a taken connection has no idle timer");
  assert.equal(timers.pending, 0);
  await pool.close();
});

Deno.test("ConnectionPool.give() quits a connection after maxMessagesPerConnection transactions", async () => {
  const pool = new ConnectionPool<FakeConnection>({
    timers: new ManualTimers(),
    maxMessagesPerConnection: 3,
  });
  const connection = new FakeConnection();
  await pool.give(KEY, connection);
  assert.equal(await pool.take(KEY), connection);
  await pool.give(KEY, connection);
  assert.equal(await pool.take(KEY), connection);
  await pool.give(KEY, connection); // the third transaction: done
  assert.equal(connection.quits, 1);
  assert.equal(await pool.take(KEY), undefined);
  await pool.close();
});

Deno.test("ConnectionPool keeps at most maxIdlePerKey and maxIdle idle connections", async () => {
  const timers = new ManualTimers();
  const pool = new ConnectionPool<FakeConnection>({ timers, maxIdlePerKey: 2, maxIdle: 3 });
  const connections = Array.from({ length: 4 }, () => new FakeConnection());
  for (const connection of connections) await pool.give(KEY, connection);
  assert.deepEqual(connections.map((c) => c.quits), [0, 0, 1, 1]);
  const other = [new FakeConnection(), new FakeConnection()];
  for (const connection of other) await pool.give("other", connection);
  assert.deepEqual(other.map((c) => c.quits), [0, 1]);
  assert.equal(pool.stats().size, 3);
  await pool.close();
  assert.equal(pool.stats().size, 0);
  assert.equal(timers.pending, 0);
  assert.ok([...connections, ...other].every((c) => c.quits === 1));
});

Deno.test("ConnectionPool.give() quits unusable connections, and everything once closed or with reuse off", async () => {
  const pool = new ConnectionPool<FakeConnection>({ timers: new ManualTimers() });
  const failed = new FakeConnection();
  failed.usable = false;
  await pool.give(KEY, failed);
  assert.equal(pool.stats().size, 0);
  await pool.close();
  const late = new FakeConnection();
  await pool.give(KEY, late);
  assert.equal(late.quits, 1);

  const noReuse = new ConnectionPool<FakeConnection>({ reuse: false });
  const once = new FakeConnection();
  await noReuse.give(KEY, once);
  assert.equal(once.quits, 1);
  assert.equal(await noReuse.take(KEY), undefined);
  await noReuse.close();
});

Deno.test("ConnectionPool.close() cuts a QUIT that does not finish within quitTimeoutMs", async () => {
  const timers = new ManualTimers();
  const pool = new ConnectionPool<FakeConnection>({ timers, quitTimeoutMs: 1000 });
  const stuck = new FakeConnection();
  let finishQuit = () => {};
  stuck.quit = () => new Promise<void>((resolve) => finishQuit = resolve);
  stuck.close = () => {
    stuck.closes++;
    finishQuit();
    return Promise.resolve();
  };
  await pool.give(KEY, stuck);
  const closing = pool.close();
  timers.advance(1000);
  await closing;
  assert.equal(stuck.closes, 1);
  assert.equal(timers.pending, 0);
});

Deno.test("ConnectionPool with real timers leaves no timer behind after close()", async () => {
  await using pool = new ConnectionPool<FakeConnection>({ idleTimeoutMs: 60_000 });
  await pool.give(KEY, new FakeConnection());
  await pool.give(KEY, new FakeConnection());
});

Deno.test("ConnectionPool() rejects limits below one", () => {
  assert.throws(() => new ConnectionPool({ maxIdlePerKey: 0 }), RangeError);
  assert.throws(() => new ConnectionPool({ idleTimeoutMs: -1 }), RangeError);
});

Deno.test("poolKey() separates TLS policy, AUTH user, protocol and IPv6 ports", () => {
  const hop = {
    address: "2001:db8::1",
    port: 25,
    name: "MX.example",
    tls: "required",
    verifyCertificates: true,
    lmtp: false,
  };
  assert.equal(poolKey(hop), "smtp [2001:db8::1]:25 mx.example required verify -");
  assert.notEqual(poolKey(hop), poolKey({ ...hop, authUser: "relay" }));
  assert.notEqual(poolKey(hop), poolKey({ ...hop, tls: "opportunistic" }));
  assert.notEqual(poolKey(hop), poolKey({ ...hop, lmtp: true }));
});
