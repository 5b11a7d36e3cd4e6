import { test } from "node:test";
import assert from "node:assert/strict";
import { computeStatusPatch, type Readiness } from "../../src/runtime/reconcile-status.ts";
import type { AnyResource, Condition, HookResult } from "../../src/runtime/index.ts";

const now = new Date("2026-01-01T01:00:00Z");
const condition = (type: string, status: Condition["status"], reason: string, message: string): Condition => ({
  type,
  status,
  reason,
  message,
  observedGeneration: 1,
  lastTransitionTime: "2026-01-01T00:00:00Z",
});
const settled = (ready: Condition): AnyResource => ({
  apiVersion: "example.test/v1",
  kind: "Thing",
  metadata: { name: "a", generation: 1 },
  spec: {},
  status: {
    observedGeneration: 1,
    message: ready.message,
    conditions: [ready, condition("Progressing", "False", "Reconciled", ""), condition("Degraded", "False", "AsExpected", "")],
  },
});
/** A resource whose status says `message` with these conditions (a wait's or a failure's). */
const saying = (message: string, conditions: Condition[]): AnyResource => ({
  ...settled(conditions[0]!),
  status: { observedGeneration: 1, message, conditions },
});
const serving = condition("Ready", "True", "Reconciled", "a created");
const down: Readiness = { ready: false, reason: "ServerUnavailable", message: "no pod" };
const up: Readiness = { ready: true, reason: "ServerAvailable", message: "serves again" };
const quiet: HookResult = { kind: "done" };

test("computeStatusPatch with readiness: given/want", () => {
  const cases: { name: string; given: AnyResource; result: HookResult; readiness?: Readiness; ready?: [string, string, string]; message?: string | null }[] = [
    { name: "ready and nothing changed: no write", given: settled(serving), result: quiet, readiness: up },
    { name: "no readiness and nothing changed: no write", given: settled(serving), result: quiet },
    {
      name: "stops serving: Ready False with its reason and words; status.message keeps what the last step said",
      given: settled(serving),
      result: quiet,
      readiness: down,
      ready: ["False", "ServerUnavailable", "no pod"],
      message: undefined,
    },
    { name: "stays down: no write", given: settled(condition("Ready", "False", "ServerUnavailable", "no pod")), result: quiet, readiness: { ...down } },
    {
      name: "serves again: Ready True with the readiness' words; status.message untouched",
      given: settled(condition("Ready", "False", "ServerUnavailable", "no pod")),
      result: quiet,
      readiness: up,
      ready: ["True", "ServerAvailable", "serves again"],
      message: undefined,
    },
    {
      name: "the end of a wait (Progressing True) is no recovery: Ready True Reconciled, the readiness' words not used",
      given: saying("rolls", [condition("Ready", "False", "RollingOut", "rolls"), condition("Progressing", "True", "RollingOut", "rolls")]),
      result: quiet,
      readiness: up,
      ready: ["True", "Reconciled", "the resource is reconciled"],
      // Not the wait's words any more (the Message column would go on saying "rolls").
      message: "the resource is reconciled",
    },
    {
      name: "a failure's retry that succeeds: status.message no longer says the failure",
      given: saying("ApplyFailed: HTTP 500", [
        condition("Ready", "False", "ApplyFailed", "ApplyFailed: HTTP 500"),
        condition("Progressing", "False", "ApplyFailed", "ApplyFailed: HTTP 500"),
        condition("Degraded", "True", "ApplyFailed", "ApplyFailed: HTTP 500"),
      ]),
      result: quiet,
      ready: ["True", "Reconciled", "the resource is reconciled"],
      message: "the resource is reconciled",
    },
    {
      name: "a failure's retry that succeeds while the workload does not serve: status.message says why not",
      given: saying("ApplyFailed: HTTP 500", [
        condition("Ready", "False", "ApplyFailed", "ApplyFailed: HTTP 500"),
        condition("Degraded", "True", "ApplyFailed", "ApplyFailed: HTTP 500"),
      ]),
      result: quiet,
      readiness: down,
      ready: ["False", "ServerUnavailable", "no pod"],
      message: "no pod",
    },
    {
      name: "a hook's message wins when it turns True",
      given: settled(condition("Ready", "False", "ServerUnavailable", "no pod")),
      result: { kind: "done", message: "image changed" },
      readiness: up,
      ready: ["True", "Reconciled", "image changed"],
      message: "image changed",
    },
  ];
  for (const c of cases) {
    const patch = computeStatusPatch(c.given, { result: c.result, readiness: c.readiness, now });
    if (c.ready === undefined) {
      assert.equal(patch, undefined, c.name);
      continue;
    }
    const ready = (patch?.conditions as Condition[]).find((x) => x.type === "Ready");
    assert.deepEqual([ready?.status, ready?.reason, ready?.message], c.ready, c.name);
    assert.equal(patch?.message, c.message, c.name);
  }
});
