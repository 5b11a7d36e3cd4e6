import { test } from "node:test";
import assert from "node:assert/strict";
import { findCondition, formatConditionTime, isConditionTrue, mergeConditions, setCondition } from "../../src/runtime/conditions.ts";
import type { Condition } from "../../src/runtime/index.ts";

const t0 = new Date("2026-01-01T00:00:00.123Z");
const t1 = new Date("2026-01-01T01:00:00.000Z");
const ready = (status: Condition["status"], reason: string, time = "2026-01-01T00:00:00Z"): Condition => ({
  type: "Ready",
  status,
  reason,
  message: "m",
  lastTransitionTime: time,
});

test("setCondition: given/want", () => {
  const cases: { name: string; given: Condition[] | undefined; update: Omit<Condition, "lastTransitionTime">; want: Condition[] }[] = [
    {
      name: "new condition gets now",
      given: undefined,
      update: { type: "Ready", status: "True", reason: "A", message: "m" },
      want: [ready("True", "A", "2026-01-01T01:00:00Z")],
    },
    {
      name: "same status keeps the time, takes the new reason",
      given: [ready("True", "A")],
      update: { type: "Ready", status: "True", reason: "B", message: "m" },
      want: [ready("True", "B")],
    },
    {
      name: "flip sets a new time",
      given: [ready("True", "A")],
      update: { type: "Ready", status: "False", reason: "B", message: "m" },
      want: [ready("False", "B", "2026-01-01T01:00:00Z")],
    },
    {
      name: "other types are kept in place",
      given: [{ ...ready("True", "A"), type: "Other" }, ready("True", "A")],
      update: { type: "Ready", status: "True", reason: "A", message: "m" },
      want: [{ ...ready("True", "A"), type: "Other" }, ready("True", "A")],
    },
  ];
  for (const { name, given, update, want } of cases) assert.deepEqual(setCondition(given, update, t1), want, name);
});

test("setCondition does not mutate its input", () => {
  const given = [ready("True", "A")];
  setCondition(given, { type: "Ready", status: "False", reason: "B", message: "m" }, t1);
  assert.deepEqual(given, [ready("True", "A")]);
});

test("mergeConditions ignores incoming lastTransitionTime unless the status flips", () => {
  const merged = mergeConditions(
    [ready("True", "A")],
    [
      { ...ready("True", "A"), lastTransitionTime: "2030-01-01T00:00:00Z" },
      { type: "Degraded", status: "False", reason: "X", message: "" },
    ],
    t1,
  );
  assert.equal(findCondition(merged, "Ready")?.lastTransitionTime, "2026-01-01T00:00:00Z");
  assert.equal(findCondition(merged, "Degraded")?.lastTransitionTime, "2026-01-01T01:00:00Z");
  assert.ok(isConditionTrue(merged, "Ready"));
  assert.ok(!isConditionTrue(merged, "Degraded"));
});

test("formatConditionTime drops milliseconds as metav1.Time does", () => {
  assert.equal(formatConditionTime(t0), "2026-01-01T00:00:00Z");
});
