import { test } from "node:test";
import assert from "node:assert/strict";
import { TokenBucket } from "../../src/runtime/rate-limiter.ts";

test("TokenBucket lets a burst through, then spaces requests at 1/qps in arrival order", () => {
  let now = 0;
  const bucket = new TokenBucket({ qps: 10, burst: 3 }, () => now);
  assert.deepEqual([bucket.reserve(), bucket.reserve(), bucket.reserve()], [0, 0, 0]);
  assert.equal(Math.round(bucket.reserve()), 100);
  assert.equal(Math.round(bucket.reserve()), 200);
  now = 1000; // a quiet second refills, but never beyond the burst
  assert.deepEqual([bucket.reserve(), bucket.reserve(), bucket.reserve()].map(Math.round), [0, 0, 0]);
  assert.equal(Math.round(bucket.reserve()), 100);
});

test("TokenBucket.acquire waits in real time", async () => {
  const bucket = new TokenBucket({ qps: 50, burst: 1 });
  const started = performance.now();
  for (let i = 0; i < 4; i++) await bucket.acquire();
  // 1 free + 3 × 20 ms
  assert.ok(performance.now() - started >= 55, `took ${performance.now() - started} ms`);
});

test("TokenBucket rejects nonsense limits", () => {
  assert.throws(() => new TokenBucket({ qps: 0, burst: 1 }), RangeError);
  assert.throws(() => new TokenBucket({ qps: 5, burst: 0 }), RangeError);
});
