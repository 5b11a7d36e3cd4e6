/**
 * KubeRest's own HTTP transport (`node:https` with client-node's credentials) against the real API server: TLS
 * verification, client certificates, bearer tokens and exec credential plugins, the user agent, RBAC refusals,
 * request time-outs, and watches (events in order, live as they are written, resumed from an event's or a bookmark's
 * resourceVersion, the server ending a watch, an error answer, a silent watch, an abort). A 410 Gone cannot be provoked on demand from a fresh API server (it needs an etcd compaction): the scripted
 * server of test/runtime/informer.test.ts and test/runtime/kube-rest.test.ts covers it. Priority and fairness rejects a request
 * (429, Retry-After) once the test holds every seat of a priority level made for it: KubeRest sends it again.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { request as httpsRequest } from "node:https";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import { KubeApiError, KubeRest, WatchTimeoutError } from "../../../src/runtime/index.ts";
import { isAlreadyExists } from "../../../src/runtime/kube-rest.ts";
import { kubectl, startMysqlopControlPlane, type MysqlopControlPlane } from "../../helpers/control-plane.ts";
import { eventually } from "../../helpers/eventually.ts";

const namespace = "transport";
const configMaps = `/api/v1/namespaces/${namespace}/configmaps`;
/** What the operator's ServiceAccount may list (the generated RBAC). */
const mysqls = "/apis/otus.homework/v1/mysqls";

describe("integration: KubeRest's transport on the real API server", { timeout: 180_000 }, () => {
  let plane: MysqlopControlPlane;
  let admin: KubeRest;
  let dir: string;

  before(async () => {
    plane = await startMysqlopControlPlane();
    admin = new KubeRest(plane.cp.kubeConfig, { userAgent: "transport-test/1.0" });
    dir = await mkdtemp(join(tmpdir(), "mysqlop-transport-"));
    const created = await admin
      .request("POST", "/api/v1/namespaces", { body: { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } } })
      .catch((e) => e);
    assert.ok(!(created instanceof Error) || isAlreadyExists(created), String(created));
  });
  after(async () => {
    await admin?.close();
    await plane?.cp.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  /** A kubeconfig for the same API server with another user (and, with `caData: null`, no CA of its own). */
  function kubeConfigWith(user: Record<string, unknown>, caData: string | null = plane.operator.kubeConfig.getCurrentCluster()?.caData ?? null): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "c", server: plane.cp.server, ...(caData === null ? {} : { caData }) }],
      users: [{ name: "u", ...user }],
      contexts: [{ name: "c", cluster: "c", user: "u" }],
      currentContext: "c",
    });
    return kc;
  }

  test("client certificate (admin): writes and reads over verified TLS; the user agent names the writer", async () => {
    const { code } = await admin.send("POST", configMaps, { body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "by-cert" }, data: { a: "1" } } });
    assert.equal(code, 201);
    const read = await admin.get<KubernetesObject & { data?: Record<string, string> }>(`${configMaps}/by-cert`);
    assert.deepEqual(read.data, { a: "1" });
    assert.deepEqual(
      read.metadata?.managedFields?.map((f) => f.manager),
      ["transport-test"],
      "the API server names a create's field manager after the user agent",
    );
    const patched = await admin.request<{ data?: Record<string, string> }>("PATCH", `${configMaps}/by-cert`, {
      body: { data: { b: "2" } },
      contentType: "application/merge-patch+json",
    });
    assert.deepEqual(patched.data, { a: "1", b: "2" }, "a request body with its content type and length arrives whole");
  });

  test("bearer token (ServiceAccount): allowed calls succeed, others are refused with the API server's 403", async () => {
    const operator = new KubeRest(plane.operator.kubeConfig);
    try {
      // Right after the CRD is installed its storage may still be initialising (503): wait for it, bounded.
      const list = await eventually("the MySQL kind served", () => operator.get<{ items: unknown[] }>(mysqls).catch(() => undefined));
      assert.ok(Array.isArray(list.items));
      const refused = await operator.get("/api/v1/nodes/none").catch((e: unknown) => e);
      assert.ok(refused instanceof KubeApiError && refused.code === 403, `403 expected, got ${String(refused)}`);
      assert.match(refused.message, /forbidden/);
    } finally {
      await operator.close();
    }
  });

  test("exec credential plugin: the token comes from the plugin's output, not from argv", async () => {
    const token = plane.operator.kubeConfig.getCurrentUser()?.token;
    assert.ok(token, "the ServiceAccount kubeconfig has a token");
    const credential = join(dir, "credential.json");
    await writeFile(credential, JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", status: { token } }), { mode: 0o600 });
    const rest = new KubeRest(kubeConfigWith({ exec: { apiVersion: "client.authentication.k8s.io/v1", command: "cat", args: [credential] } }));
    try {
      const list = await rest.get<{ items: unknown[] }>(mysqls);
      assert.ok(Array.isArray(list.items), "authenticated as the ServiceAccount");
      const refused = await rest.get("/api/v1/nodes/none").catch((e: unknown) => e);
      assert.ok(refused instanceof KubeApiError && refused.code === 403, "and as nobody more");
    } finally {
      await rest.close();
    }
  });

  test("TLS is verified: a kubeconfig without the cluster's CA is refused before any request", async () => {
    const token = plane.operator.kubeConfig.getCurrentUser()?.token;
    const rest = new KubeRest(kubeConfigWith({ token }, null));
    try {
      const error = await rest.get("/version").catch((e: unknown) => e);
      assert.ok(error instanceof Error && !(error instanceof KubeApiError), `a TLS error expected, got ${String(error)}`);
      assert.match(String((error as { code?: string }).code), /SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
    } finally {
      await rest.close();
    }
  });

  test("a request that outlives its time-out is aborted", async () => {
    // A watch sent as a plain GET never ends by itself: only the time-out can end it.
    const error = await admin.get(configMaps, { query: { watch: true }, timeoutMs: 300 }).catch((e: unknown) => e);
    assert.ok(error instanceof Error, "rejected");
    assert.match(`${error.name} ${String((error as { cause?: { name?: string } }).cause?.name)}`, /AbortError|TimeoutError/);
  });

  test("watch: events in order from a resourceVersion, then the server ends it at timeoutSeconds", async () => {
    const list = await admin.get<{ metadata: { resourceVersion: string } }>(configMaps);
    // The writes come first and the watch from the list's resourceVersion delivers them: the server ends a watch
    // timeoutSeconds after it began, which a loaded machine could reach while the test was still writing.
    await admin.request("POST", configMaps, { body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "watched" } } });
    await admin.request("PATCH", `${configMaps}/watched`, { body: { data: { x: "1" } }, contentType: "application/merge-patch+json" });
    await admin.request("DELETE", `${configMaps}/watched`);
    const events: string[] = [];
    let connected = false;
    await admin.watch(configMaps, {
      query: { resourceVersion: list.metadata.resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 3 },
      onConnected: () => (connected = true),
      onEvent: (type, object) => {
        if (type !== "BOOKMARK") events.push(`${type} ${object.metadata?.name}`);
      },
    });
    assert.ok(connected, "the watch said it was connected");
    assert.deepEqual(events, ["ADDED watched", "MODIFIED watched", "DELETED watched"]);
  });

  test("watch: events written after it opened arrive live and in order; a watch resumed from an event's or a bookmark's resourceVersion delivers exactly what followed", async () => {
    // No kube-controller-manager runs here (startMysqlopControlPlane without workloads), so nothing else writes to the
    // new namespace (its root-CA publisher would add kube-root-ca.crt): every event below is the test's own write.
    const live = "/api/v1/namespaces/live-watch/configmaps";
    const made = await admin
      .request("POST", "/api/v1/namespaces", { body: { apiVersion: "v1", kind: "Namespace", metadata: { name: "live-watch" } } })
      .catch((e) => e);
    assert.ok(!(made instanceof Error) || isAlreadyExists(made), String(made));
    type Seen = { type: string; name: string | undefined; resourceVersion: string | undefined; initialEventsEnd: boolean };
    /** A watch of `live` from `query`, open until `stop()`: what it delivered so far, in order. */
    function open(query: Record<string, string | number | boolean>) {
      const seen: Seen[] = [];
      const controller = new AbortController();
      const watching = admin.watch(live, {
        // Open until aborted: neither the server's end nor the idle time-out comes within the test.
        query: { allowWatchBookmarks: true, timeoutSeconds: 600, ...query },
        idleTimeoutMs: 600_000,
        signal: controller.signal,
        onEvent: (type, object) =>
          seen.push({
            type,
            name: object.metadata?.name,
            resourceVersion: object.metadata?.resourceVersion,
            initialEventsEnd: object.metadata?.annotations?.["k8s.io/initial-events-end"] === "true",
          }),
      });
      return {
        seen,
        /** The events of objects, in order (bookmarks left out: the server sends them when it likes). */
        objects: () => seen.filter((e) => e.type !== "BOOKMARK").map((e) => `${e.type} ${e.name}`),
        stop: async () => {
          controller.abort();
          await watching;
        },
      };
    }
    /** Waits until `watch` delivered exactly `expected`: an event repeated, missing or out of order never matches. */
    const delivers = (watch: ReturnType<typeof open>, expected: string[], what: string) =>
      eventually(what, async () => isDeepStrictEqual(watch.objects(), expected), 60_000, 100).catch((error: unknown) => {
        throw new Error(`${String(error)}; delivered: ${JSON.stringify(watch.objects())}`);
      });

    // The API server's initial state (nothing here yet), then its bookmark: a resourceVersion to resume from, by the server's word.
    const first = open({ sendInitialEvents: true, resourceVersionMatch: "NotOlderThan" });
    let bookmark: string | undefined;
    try {
      const end = await eventually(
        "the bookmark ending the initial events",
        async () => first.seen.find((e) => e.type === "BOOKMARK" && e.initialEventsEnd),
        60_000,
        100,
      );
      bookmark = end.resourceVersion;
      assert.ok(bookmark, "the bookmark carries a resourceVersion");
      assert.deepEqual(first.objects(), [], "an empty namespace has no initial events");
      // Each write only once the one before it was delivered: the events come as they happen, not when the watch ends.
      await admin.request("POST", live, { body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "one" } } });
      await delivers(first, ["ADDED one"], "ADDED one, live");
      await admin.request("PATCH", `${live}/one`, { body: { data: { x: "1" } }, contentType: "application/merge-patch+json" });
      await delivers(first, ["ADDED one", "MODIFIED one"], "MODIFIED one, live");
      await admin.request("DELETE", `${live}/one`);
      await delivers(first, ["ADDED one", "MODIFIED one", "DELETED one"], "DELETED one, live");
      // An object written last: an event repeated after the ones above would come before it, and be seen.
      await admin.request("POST", live, { body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "end-1" } } });
      await delivers(first, ["ADDED one", "MODIFIED one", "DELETED one", "ADDED end-1"], "nothing repeated before the end marker");
    } finally {
      await first.stop();
    }
    const lastSeen = first.seen.findLast((e) => e.type === "DELETED")?.resourceVersion;
    assert.ok(lastSeen, "the DELETED event carries a resourceVersion");

    // Written while no watch is open.
    await admin.request("POST", live, { body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "two" } } });
    await admin.request("PATCH", `${live}/two`, { body: { data: { y: "2" } }, contentType: "application/merge-patch+json" });
    await admin.request("POST", live, { body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "end-2" } } });

    const fromEvent = open({ resourceVersion: lastSeen });
    try {
      await delivers(fromEvent, ["ADDED end-1", "ADDED two", "MODIFIED two", "ADDED end-2"], "from the DELETED event's resourceVersion: only what followed it");
    } finally {
      await fromEvent.stop();
    }
    const fromBookmark = open({ resourceVersion: bookmark });
    try {
      await delivers(
        fromBookmark,
        ["ADDED one", "MODIFIED one", "DELETED one", "ADDED end-1", "ADDED two", "MODIFIED two", "ADDED end-2"],
        "from the bookmark's resourceVersion: everything written since, in order",
      );
    } finally {
      await fromBookmark.stop();
    }
  });

  test("watch: an error answer rejects with the status; a silent watch fails with a TimeoutError; an abort ends it", async () => {
    const operator = new KubeRest(plane.operator.kubeConfig);
    try {
      const refused = await operator.watch("/api/v1/nodes", { onEvent: () => undefined }).catch((e: unknown) => e);
      assert.ok(refused instanceof KubeApiError && refused.code === 403, `403 expected, got ${String(refused)}`);
    } finally {
      await operator.close();
    }
    // Nothing is written to this namespace, and bookmarks are not asked for: the watch stays silent.
    const silent = await admin.watch("/api/v1/namespaces/silent/configmaps", { onEvent: () => undefined, idleTimeoutMs: 500 }).catch((e: unknown) => e);
    assert.ok(silent instanceof WatchTimeoutError && silent.name === "TimeoutError", `TimeoutError expected, got ${String(silent)}`);
    const controller = new AbortController();
    let connected = false;
    const watching = admin.watch(configMaps, { onEvent: () => undefined, onConnected: () => (connected = true), signal: controller.signal });
    await eventually("watch connected", async () => connected);
    controller.abort();
    await watching;
  });

  test("an answer's text is let go once it is read, although its connection stays open (node's https agent keeps a connection's first request reachable)", async () => {
    // A full collection: the answer's text cannot be reached from the process once the list is returned and dropped.
    setFlagsFromString("--expose-gc");
    const collect = runInNewContext("gc") as () => void;
    const held = (): number => {
      collect();
      collect();
      const { heapUsed, external } = process.memoryUsage();
      return heapUsed + external;
    };
    const large = "transport-large";
    await admin.request("POST", "/api/v1/namespaces", { body: { apiVersion: "v1", kind: "Namespace", metadata: { name: large } } });
    const value = "x".repeat(900_000);
    for (let i = 0; i < 12; i++) {
      await admin.request("POST", `/api/v1/namespaces/${large}/configmaps`, {
        body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `large-${i}` }, data: { value } },
      });
    }
    // A client of its own: the list is the first request of the connection it opens, as an informer's first list is.
    const rest = new KubeRest(plane.cp.kubeConfig);
    try {
      const count = async (): Promise<number> => (await rest.get<{ items: unknown[] }>(`/api/v1/namespaces/${large}/configmaps`)).items.length;
      const before = held();
      assert.equal(await count(), 12);
      const grown = held() - before;
      // The answer is about 10.8 MB: kept, its text and the chunks it was read in held twice that.
      assert.ok(grown < 2_000_000, `the process holds ${(grown / 1e6).toFixed(1)} MB more after a 10.8 MB list than before it`);
    } finally {
      await rest.close();
    }
  });
  test("priority and fairness: a request rejected with 429 while its priority level's seats are all held is sent again after Retry-After, and answered once a seat is free", async () => {
    const level = "transport-throttled";
    const account = "throttled";
    // One nominal share, nothing lent or borrowed, rejected rather than queued: a few seats, all of which the test holds.
    await admin.request("POST", "/apis/flowcontrol.apiserver.k8s.io/v1/prioritylevelconfigurations", {
      body: {
        apiVersion: "flowcontrol.apiserver.k8s.io/v1",
        kind: "PriorityLevelConfiguration",
        metadata: { name: level },
        spec: { type: "Limited", limited: { nominalConcurrencyShares: 1, lendablePercent: 0, borrowingLimitPercent: 0, limitResponse: { type: "Reject" } } },
      },
    });
    await admin.request("POST", "/apis/flowcontrol.apiserver.k8s.io/v1/flowschemas", {
      body: {
        apiVersion: "flowcontrol.apiserver.k8s.io/v1",
        kind: "FlowSchema",
        metadata: { name: level },
        spec: {
          priorityLevelConfiguration: { name: level },
          matchingPrecedence: 500,
          distinguisherMethod: { type: "ByUser" },
          rules: [
            {
              subjects: [{ kind: "ServiceAccount", serviceAccount: { name: account, namespace } }],
              resourceRules: [{ verbs: ["*"], apiGroups: [""], resources: ["configmaps"], namespaces: [namespace] }],
            },
          ],
        },
      },
    });
    await admin.request("POST", `/api/v1/namespaces/${namespace}/serviceaccounts`, {
      body: { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: account } },
    });
    await admin.request("POST", `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/roles`, {
      body: {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        metadata: { name: account },
        rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["get", "create"] }],
      },
    });
    await admin.request("POST", `/apis/rbac.authorization.k8s.io/v1/namespaces/${namespace}/rolebindings`, {
      body: {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: account },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: account },
        subjects: [{ kind: "ServiceAccount", name: account, namespace }],
      },
    });
    await admin.request("POST", configMaps, { body: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "throttled" }, data: { answered: "yes" } } });
    const { status } = await admin.request<{ status: { token: string } }>("POST", `/api/v1/namespaces/${namespace}/serviceaccounts/${account}/token`, {
      body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 600 } },
    });
    const metric = async (name: string): Promise<number | undefined> => {
      const scraped = await kubectl(plane.cp, ["get", "--raw", "/metrics"]);
      assert.equal(scraped.code, 0, scraped.stderr);
      const line = scraped.stdout.split("\n").find((l) => l.startsWith(`${name}{`) && l.includes(`priority_level="${level}"`));
      return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
    };
    const seats = await eventually("the priority level in effect", async () => (await metric("apiserver_flowcontrol_nominal_limit_seats")) || undefined);
    const rejected = async () => (await metric("apiserver_flowcontrol_rejected_requests_total")) ?? 0;

    // A create whose body has not all arrived holds its seat while the API server reads it (after authentication,
    // priority and fairness and authorization): as many of them as the level has seats.
    const cluster = plane.cp.kubeConfig.getCurrentCluster()!;
    const server = new URL(cluster.server);
    const held = Array.from({ length: seats }, () => {
      const request = httpsRequest({
        host: server.hostname,
        port: server.port,
        method: "POST",
        path: configMaps,
        ca: Buffer.from(cluster.caData ?? "", "base64"),
        agent: false,
        headers: { Authorization: `Bearer ${status.token}`, "Content-Type": "application/json", "Content-Length": 1000 },
      });
      request.on("error", () => {});
      request.write('{"metadata":');
      return request;
    });
    const throttled = new KubeRest(kubeConfigWith({ token: status.token }));
    try {
      // The request under test goes once all the held ones are in: then it is rejected, not queued.
      await eventually("every seat held", async () => (await metric("apiserver_flowcontrol_current_executing_seats")) === seats);
      const rejectedBefore = await rejected();
      const started = performance.now();
      const answer = throttled.get<{ data?: Record<string, string> }>(`${configMaps}/throttled`);
      const rejections = await eventually("a 429 from priority and fairness", async () => {
        const now = await rejected();
        return now > rejectedBefore && now;
      });
      for (const request of held) request.destroy();
      const configMap = await answer;
      assert.equal(configMap.data?.answered, "yes", "answered once a seat was free");
      assert.ok(rejections > rejectedBefore, "it was rejected first");
      assert.ok(performance.now() - started >= 900, "after the Retry-After of the rejection (1 s)");
    } finally {
      for (const request of held) request.destroy();
      await throttled.close();
      await admin.request("DELETE", `/apis/flowcontrol.apiserver.k8s.io/v1/flowschemas/${level}`).catch(() => undefined);
      await admin.request("DELETE", `/apis/flowcontrol.apiserver.k8s.io/v1/prioritylevelconfigurations/${level}`).catch(() => undefined);
    }
  });
});
