import { test } from "node:test";
import assert from "node:assert/strict";
import { backoffDelay } from "../../src/runtime/backoff.ts";

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
