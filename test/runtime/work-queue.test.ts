import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { WorkQueue } from "../../src/runtime/work-queue.ts";

test("a key added many times while waiting is handed out once", async () => {
  const adds: boolean[] = [];
  const q = new WorkQueue({ observer: { added: (_k, dedup) => adds.push(dedup) } });
  q.add("a");
  q.add("b");
  q.add("a");
  q.add("a");
  assert.equal(q.length, 2);
  assert.deepEqual(adds, [false, false, true, true]);
  assert.equal(await q.get(), "a");
  assert.equal(await q.get(), "b");
  assert.equal(q.length, 0);
});

test("a key being processed is not handed to a second worker; a re-add runs after done", async () => {
  const q = new WorkQueue();
  q.add("a");
  const first = await q.get();
  assert.equal(first, "a");
  q.add("a"); // changed while being reconciled
  q.add("a");
  q.add("b");
  assert.equal(await q.get(), "b", "the other key is free to go");
  let second: string | undefined;
  void q.get().then((k) => (second = k));
  await sleep(5);
  assert.equal(second, undefined, "a must wait for done()");
  q.done("a");
  await sleep(0);
  assert.equal(second, "a", "the re-add is processed once, after done");
  q.done("a");
  q.done("b");
  assert.equal(q.length, 0);
});

test("addRateLimited backs off exponentially per key and forget resets it", () => {
  const delays: number[] = [];
  const q = new WorkQueue({ backoff: { baseMs: 10, maxMs: 1000, jitter: 0.5 }, random: () => 0, observer: { retried: (_k, d) => delays.push(d) } });
  for (let i = 0; i < 4; i++) q.addRateLimited("a");
  q.addRateLimited("b");
  assert.deepEqual(delays, [10, 20, 40, 80, 10]);
  assert.equal(q.failures("a"), 4);
  q.forget("a");
  assert.equal(q.failures("a"), 0);
  assert.equal(q.addRateLimited("a"), 10);
  q.shutDown();
});

test("jitter spreads the delays of keys failing together", () => {
  let r = 0;
  const q = new WorkQueue({ backoff: { baseMs: 1000, maxMs: 10_000, jitter: 0.5 }, random: () => (r = (r + 0.37) % 1) });
  const delays = new Set(["a", "b", "c", "d"].map((k) => q.addRateLimited(k)));
  assert.equal(delays.size, 4);
  for (const d of delays) assert.ok(d >= 500 && d <= 1000, `delay ${d}`);
  q.shutDown();
});

test("addAfter delivers the key after the delay, and an earlier schedule wins", async () => {
  const q = new WorkQueue();
  q.addAfter("a", 200);
  q.addAfter("a", 20); // earlier: replaces
  q.addAfter("a", 500); // later: ignored
  // A key due between the two schedules of "a" tells which of them won, whatever the machine's load does to timers.
  q.addAfter("b", 100);
  assert.ok(q.has("a"));
  assert.equal(q.length, 0);
  const started = performance.now();
  assert.equal(await q.get(), "a", "the earlier schedule (20 ms) won, before b (100 ms)");
  const waited = performance.now() - started;
  assert.ok(waited >= 15, `waited ${waited} ms: not before its delay`);
  q.done("a");
  assert.equal(await q.get(), "b");
  q.done("b");
  await sleep(600);
  assert.equal(q.length, 0, "the later schedules were dropped");
  q.shutDown();
});

test("shutDown wakes waiting workers with undefined and ignores new adds", async () => {
  const q = new WorkQueue();
  const waiting = q.get();
  q.addAfter("late", 10);
  q.shutDown();
  assert.equal(await waiting, undefined);
  q.add("x");
  assert.equal(await q.get(), undefined);
  await sleep(20);
  assert.equal(q.length, 0);
});

test("bounded workers: N workers never hold more than N keys, never the same key twice", async () => {
  const q = new WorkQueue();
  const holding = new Set<string>();
  let peak = 0;
  let processed = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const key = await q.get();
      if (key === undefined) return;
      assert.ok(!holding.has(key), `key ${key} held twice`);
      holding.add(key);
      peak = Math.max(peak, holding.size);
      await sleep(1);
      // re-adds while processing must not create a parallel run
      if (processed % 3 === 0) q.add(key);
      processed++;
      holding.delete(key);
      q.done(key);
    }
  };
  const workers = [worker(), worker(), worker()];
  for (let i = 0; i < 30; i++) q.add(`k${i % 10}`);
  while (q.length > 0 || q.processing > 0) await sleep(5);
  q.shutDown();
  await Promise.all(workers);
  assert.equal(peak, 3);
  assert.ok(processed >= 10);
});
