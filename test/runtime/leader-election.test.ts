import { test } from "node:test";
import assert from "node:assert/strict";
import { decideLeaseAction, LeaderElector, mustStepDown, type LeaseSpec } from "../../src/runtime/leader-election.ts";
import { KubeRest } from "../../src/runtime/kube-rest.ts";
import { KubeConfig } from "@kubernetes/client-node";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

test("decideLeaseAction: given/want", () => {
  const me = "me";
  const held = (holder: string, seconds = 15): LeaseSpec => ({
    holderIdentity: holder,
    leaseDurationSeconds: seconds,
    renewTime: "2026-01-01T00:00:00.000000Z",
  });
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
  assert.throws(
    () => new LeaderElector({ rest, log, namespace: "n", name: "l", leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }),
    RangeError,
  );
  assert.throws(
    () => new LeaderElector({ rest, log, namespace: "n", name: "l", leaseDurationMs: 15_000, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 }),
    RangeError,
  );
  assert.match(new LeaderElector({ rest, log, namespace: "n", name: "l" }).identity, /_[0-9a-f-]{36}$/);
});

/**
 * A scripted Lease endpoint: answers GET/POST/PUT with a resourceVersion guard like the API
 * server, and can be told to accept one more write but answer it late, then hang every
 * request (an API server that stopped answering without closing connections).
 */
async function startLeaseServer() {
  let lease: Record<string, unknown> | undefined;
  let rv = 0;
  let mode: "normal" | "slow-then-hang" | "hang" = "normal";
  let lastAcceptedAt = 0;
  let answerDelayMs = 0;
  const hanging = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (chunk: Buffer) => (text += chunk.toString()));
    req.on("end", () => {
      if (mode === "hang") {
        hanging.add(res);
        return;
      }
      const answer = (code: number, body: unknown, delayMs = 0): void => {
        setTimeout(() => res.writeHead(code, { "content-type": "application/json" }).end(JSON.stringify(body)), delayMs);
      };
      if (req.method === "GET") return lease === undefined ? answer(404, { kind: "Status", code: 404, message: "not found" }) : answer(200, lease);
      const body = JSON.parse(text) as { metadata: { resourceVersion?: string }; spec: unknown };
      if (req.method === "PUT" && body.metadata.resourceVersion !== (lease?.metadata as { resourceVersion?: string } | undefined)?.resourceVersion) {
        return answer(409, { kind: "Status", code: 409, message: "conflict" });
      }
      lease = { ...body, metadata: { ...body.metadata, resourceVersion: String(++rv) } };
      lastAcceptedAt = performance.now();
      // The write is committed now; only the answer is late, and then the server goes silent.
      if (mode === "slow-then-hang") {
        mode = "hang";
        return answer(200, lease, 900);
      }
      answer(req.method === "POST" ? 201 : 200, lease, answerDelayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "fake", server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: "u" }],
    contexts: [{ name: "fake", cluster: "fake", user: "u" }],
    currentContext: "fake",
  });
  return {
    rest: new KubeRest(kc),
    slowThenHang: () => (mode = "slow-then-hang"),
    lastAcceptedAt: () => lastAcceptedAt,
    holder: () => (lease?.spec as { holderIdentity?: string } | undefined)?.holderIdentity,
    answerWritesAfter: (ms: number) => (answerDelayMs = ms),
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

test("a leader whose API server hangs stops leading within renewDeadline of its last committed renewal, before the lease can expire elsewhere", async () => {
  const fake = await startLeaseServer();
  const log = { debug() {}, info() {}, warn() {}, error() {} };
  const timings = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 };
  const elector = new LeaderElector({ rest: fake.rest, log, namespace: "n", name: "l", identity: "me", ...timings });
  try {
    assert.equal(await elector.acquire(), true);
    fake.slowThenHang();
    const holding = elector.holdLeadership();
    let holdOutcomeAt = 0;
    void holding.then(() => (holdOutcomeAt = performance.now()));
    while (elector.leading) await sleep(5);
    const steppedDownAt = performance.now();
    // Another process takes over once it has seen the last renewal unchanged for leaseDuration;
    // it saw it no earlier than when the server committed it.
    const sinceCommit = steppedDownAt - fake.lastAcceptedAt();
    assert.ok(
      sinceCommit < timings.leaseDurationMs,
      `still leading ${Math.round(sinceCommit)} ms after the last renewal was committed (lease ${timings.leaseDurationMs} ms)`,
    );
    assert.ok(
      sinceCommit <= timings.renewDeadlineMs + 100,
      `stepped down ${Math.round(sinceCommit)} ms after the last committed renewal; the renew deadline is ${timings.renewDeadlineMs} ms`,
    );
    assert.equal(await holding, "lost");
    assert.ok(holdOutcomeAt - steppedDownAt < 100, "holdLeadership reports the loss at once, not after a hanging request times out");
  } finally {
    await elector.stop(false);
    await fake.rest.close();
    await fake.close();
  }
});

test("stop() during a campaign whose write is still in flight: acquire reports false and the lease it won is handed back", async () => {
  const fake = await startLeaseServer();
  const log = { debug() {}, info() {}, warn() {}, error() {} };
  const elector = new LeaderElector({
    rest: fake.rest,
    log,
    namespace: "n",
    name: "l",
    identity: "me",
    leaseDurationMs: 3000,
    renewDeadlineMs: 2000,
    retryPeriodMs: 500,
  });
  try {
    fake.answerWritesAfter(300);
    const acquiring = elector.acquire();
    await sleep(100);
    await elector.stop(true);
    assert.equal(await acquiring, false, "a stopped elector does not report leadership");
    assert.equal(elector.leading, false);
    assert.equal(fake.holder(), "", "the lease won by the in-flight write was released, so a standby need not wait for it to expire");
  } finally {
    await elector.stop(false);
    await fake.rest.close();
    await fake.close();
  }
});
