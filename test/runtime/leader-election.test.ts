import { test } from "node:test";
import assert from "node:assert/strict";
import { decideLeaseAction, LeaderElector, mustStepDown, type LeaseSpec } from "../../src/runtime/leader-election.ts";
import { KubeRest } from "../../src/runtime/kube-rest.ts";
import { KubeConfig } from "@kubernetes/client-node";

test("decideLeaseAction: given/want", () => {
  const me = "me";
  const held = (holder: string, seconds = 15): LeaseSpec => ({ holderIdentity: holder, leaseDurationSeconds: seconds, renewTime: "2026-01-01T00:00:00.000000Z" });
  const cases: { name: string; spec: LeaseSpec | undefined; observedAt: number; now: number; want: string }[] = [
    { name: "no lease yet", spec: undefined, observedAt: 0, now: 0, want: "create" },
    { name: "ours", spec: held(me), observedAt: 0, now: 100_000, want: "renew" },
    { name: "released (empty holder)", spec: held(""), observedAt: 0, now: 0, want: "acquire" },
    { name: "released (null holder)", spec: { holderIdentity: null }, observedAt: 0, now: 0, want: "acquire" },
    { name: "someone else's, fresh", spec: held("other"), observedAt: 1000, now: 15_000, want: "wait" },
    { name: "someone else's, exactly at duration", spec: held("other"), observedAt: 0, now: 15_000, want: "wait" },
    { name: "someone else's, expired on our clock", spec: held("other"), observedAt: 0, now: 15_001, want: "acquire" },
    { name: "the record's own duration counts", spec: held("other", 60), observedAt: 0, now: 30_000, want: "wait" },
    { name: "default duration when the record has none", spec: { holderIdentity: "other" }, observedAt: 0, now: 20_001, want: "acquire" },
  ];
  for (const c of cases) assert.equal(decideLeaseAction(c.spec, me, c.observedAt, c.now, 20_000), c.want, c.name);
});

test("mustStepDown once the renew deadline passed since the last renewal", () => {
  assert.equal(mustStepDown(0, 9_999, 10_000), false);
  assert.equal(mustStepDown(0, 10_000, 10_000), true);
});

test("timings must satisfy leaseDuration > renewDeadline > retryPeriod", () => {
  const rest = new KubeRest(new KubeConfig());
  const log = { debug() {}, info() {}, warn() {}, error() {} };
  assert.throws(() => new LeaderElector({ rest, log, namespace: "n", name: "l", leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }), RangeError);
  assert.throws(() => new LeaderElector({ rest, log, namespace: "n", name: "l", leaseDurationMs: 15_000, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 }), RangeError);
  assert.match(new LeaderElector({ rest, log, namespace: "n", name: "l" }).identity, /_[0-9a-f-]{36}$/);
});
