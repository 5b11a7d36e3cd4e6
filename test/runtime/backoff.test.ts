import { mock, test } from "node:test";
import assert from "node:assert/strict";
import { backoffDelay, wakeableSleep } from "../../src/runtime/backoff.ts";

const options = { baseMs: 100, maxMs: 1000, jitter: 0.5 };

test("backoffDelay doubles per failure, caps at maxMs, and jitter only shortens", () => {
  const cases: { failures: number; random: number; want: number }[] = [
    { failures: 1, random: 0, want: 100 },
    { failures: 2, random: 0, want: 200 },
    { failures: 4, random: 0, want: 800 },
    { failures: 5, random: 0, want: 1000 },
    { failures: 500, random: 0, want: 1000 },
    { failures: 1, random: 1, want: 50 },
    { failures: 3, random: 0.5, want: 300 },
    { failures: 0, random: 0, want: 100 },
  ];
  for (const { failures, random, want } of cases) {
    assert.equal(
      backoffDelay(failures, options, () => random),
      want,
      `failures=${failures} random=${random}`,
    );
  }
});

/** Whether `promise` has settled, once pending callbacks (of mocked timers too) have run. */
async function settled(promise: Promise<void>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

test("wakeableSleep ends after its time, or at once when woken; onEnd runs once either way, before done resolves", async (t) => {
  mock.timers.enable({ apis: ["setTimeout"] });
  t.after(() => mock.timers.reset());

  const ends: string[] = [];
  const timed = wakeableSleep(1000, () => ends.push("timed"));
  mock.timers.tick(999);
  assert.equal(await settled(timed.done), false, "not ended before its time");
  mock.timers.tick(1);
  assert.equal(await settled(timed.done), true, "ended at its time");
  timed.wake();
  assert.deepEqual(ends, ["timed"], "a wake after the end does nothing");

  const woken = wakeableSleep(60_000, () => ends.push("woken"));
  void woken.done.then(() => assert.deepEqual(ends.slice(-1), ["woken"], "onEnd ran before done resolved"));
  woken.wake();
  woken.wake();
  assert.equal(await settled(woken.done), true, "ended at once when woken");
  mock.timers.tick(60_000);
  assert.deepEqual(ends, ["timed", "woken"], "a woken sleep whose time then passes: onEnd ran once");
});
