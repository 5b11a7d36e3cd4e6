/**
 * Leader election against the real API server, under the operator's ServiceAccount and the
 * shipped FlowSchema (which `startMysqlopControlPlane` installs): what a holding leader's renewals cost the server, counted by the server
 * (the FlowSchema's dispatched-requests counter), and how it recovers when the lease it last
 * wrote is no longer current.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { ApiException, CoordinationV1Api, V1MicroTime, Watch, type V1Lease } from "@kubernetes/client-node";
import { KubeRest, LeaderElector } from "../../../src/runtime/index.ts";
import { kubectl, OPERATOR_NAMESPACE, startMysqlopControlPlane, type MysqlopControlPlane } from "../../helpers/control-plane.ts";
import { eventually } from "../../helpers/eventually.ts";
import { metricValue } from "./helpers.ts";

const FLOW_SCHEMA = "mysqlop-leader-election";
const log = { debug() {}, info() {}, warn() {}, error() {} };
// Generous: the machine is loaded, and these tests count requests, not time.
const timings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 300 };

describe("integration: leader election on the real API server", { timeout: 180_000 }, () => {
  let plane: MysqlopControlPlane;
  let rest: KubeRest;

  before(async () => {
    plane = await startMysqlopControlPlane();
    rest = new KubeRest(plane.operator.kubeConfig);
  });
  after(async () => {
    await rest?.close();
    await plane?.cp.stop();
  });

  /** Requests the API server dispatched through the operator's leader-election FlowSchema so far. */
  async function dispatched(): Promise<number> {
    const metrics = await kubectl(plane.cp, ["get", "--raw", "/metrics"]);
    assert.equal(metrics.code, 0, metrics.stderr);
    return metricValue(metrics.stdout, "apiserver_flowcontrol_dispatched_requests_total", { flow_schema: FLOW_SCHEMA, priority_level: "leader-election" });
  }

  /** resourceVersions of every write to the lease, in order, as a watch (admin, not counted) sees them. */
  async function watchWrites(name: string): Promise<{ versions: string[]; stop: () => void }> {
    const versions: string[] = [];
    const controller = await new Watch(plane.cp.kubeConfig).watch(
      `/apis/coordination.k8s.io/v1/namespaces/${OPERATOR_NAMESPACE}/leases`,
      { fieldSelector: `metadata.name=${name}` },
      (phase, lease: V1Lease) => {
        if (phase === "ADDED" || phase === "MODIFIED") versions.push(lease.metadata!.resourceVersion!);
      },
      () => undefined,
    );
    return { versions, stop: () => controller.abort() };
  }

  test("a holding leader's renewal is one request: a PUT of the lease it last wrote (counted by the API server)", async () => {
    const name = "one-request-per-renewal";
    const leases = plane.cp.kubeConfig.makeApiClient(CoordinationV1Api);
    const writes = await watchWrites(name);
    const elector = new LeaderElector({ rest, log, namespace: OPERATOR_NAMESPACE, name, identity: "holder", ...timings });
    try {
      assert.equal(await elector.acquire(), true);
      const acquired = (await leases.readNamespacedLease({ name, namespace: OPERATOR_NAMESPACE })).metadata!.resourceVersion!;
      const before = await dispatched();
      assert.ok(before > 0, "the acquisition went through the shipped FlowSchema");
      const holding = elector.holdLeadership();
      const renewals = 10;
      await eventually(`${renewals} renewals`, async () => writes.versions.length - 1 - writes.versions.indexOf(acquired) >= renewals, 60_000, 50);
      await elector.stop(false);
      assert.equal(await holding, "stopped");
      // holdLeadership returns once the attempt in flight (if any) has finished: nothing more is sent.
      const requests = (await dispatched()) - before;
      const last = (await leases.readNamespacedLease({ name, namespace: OPERATOR_NAMESPACE })).metadata!.resourceVersion!;
      await eventually("the watch has seen the last write", async () => writes.versions.includes(last), 30_000, 50);
      const written = writes.versions.indexOf(last) - writes.versions.indexOf(acquired);
      console.log(`# ${written} renewals, ${requests} lease requests dispatched by the API server`);
      assert.ok(written >= renewals);
      assert.equal(requests, written, `${requests} lease requests for ${written} renewals: each renewal should be one PUT, without a GET`);
    } finally {
      writes.stop();
      await elector.stop(false);
    }
  });

  test("a renewal that finds the lease changed underneath (409) reads it and decides: renews when still ours, steps down when another holds it", async () => {
    const name = "changed-underneath";
    const leases = plane.cp.kubeConfig.makeApiClient(CoordinationV1Api);
    const writes = await watchWrites(name);
    const elector = new LeaderElector({ rest, log, namespace: OPERATOR_NAMESPACE, name, identity: "holder", ...timings });
    try {
      assert.equal(await elector.acquire(), true);
      const holding = elector.holdLeadership();
      /**
       * Another writer's change of the lease, read and written back as any client does; a renewal of the holder's that
       * lands between the two (every 300 ms, sooner than a loaded machine may take for both) makes it read again.
       */
      const writeLease = async (change: (lease: V1Lease) => V1Lease): Promise<V1Lease> => {
        for (let attempt = 1; ; attempt++) {
          const current = await leases.readNamespacedLease({ name, namespace: OPERATOR_NAMESPACE });
          try {
            return await leases.replaceNamespacedLease({ name, namespace: OPERATOR_NAMESPACE, body: change(current) });
          } catch (error) {
            if (!(error instanceof ApiException && error.code === 409) || attempt >= 20) throw error;
          }
        }
      };
      // Someone else writes the lease without taking it (a label): our next PUT is stale.
      const labelled = await writeLease((read) => ({ ...read, metadata: { ...read.metadata, labels: { touched: "yes" } } }));
      await eventually(
        "a renewal after the foreign write",
        async () =>
          writes.versions.length - 1 > writes.versions.indexOf(labelled.metadata!.resourceVersion!) &&
          writes.versions.indexOf(labelled.metadata!.resourceVersion!) >= 0,
        60_000,
        50,
      );
      assert.equal(elector.leading, true, "still leading: the lease was still ours");
      const renewed = await leases.readNamespacedLease({ name, namespace: OPERATOR_NAMESPACE });
      assert.equal(renewed.spec?.holderIdentity, "holder");
      assert.equal(renewed.metadata?.labels?.["touched"], "yes", "the renewal kept what the other writer changed");

      // Another process takes the lease: the next renewal conflicts, reads it, and steps down.
      await writeLease((read) => ({ ...read, spec: { ...read.spec, holderIdentity: "usurper", renewTime: new V1MicroTime(Date.now()) } }));
      assert.equal(await holding, "lost");
      assert.equal(elector.leading, false);
      assert.equal(
        (await leases.readNamespacedLease({ name, namespace: OPERATOR_NAMESPACE })).spec?.holderIdentity,
        "usurper",
        "the other holder's lease is left alone",
      );
    } finally {
      writes.stop();
      await elector.stop(false);
    }
  });
});
