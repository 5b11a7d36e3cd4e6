/**
 * The informer's restart logic against a scripted HTTP endpoint standing in for the API
 * server: the faults here (a watch that stays silent forever, 5xx answers, 410 Gone) cannot be
 * provoked on demand from a real kube-apiserver. The real-server recovery is covered by
 * test/integration/runtime/reconcile-flow.test.ts.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import { Informer, internedValueCount, WATCH_IDLE_MS, type InformerEvent } from "../../src/runtime/informer.ts";
import { KubeRest, type KindInfo } from "../../src/runtime/kube-rest.ts";
import { createJsonLogger } from "../../src/runtime/logger.ts";
import { createRuntimeMetrics } from "../../src/runtime/metrics.ts";
import { sharedLookupCount } from "../../src/runtime/shared-subtrees.ts";

const kind: KindInfo = { apiVersion: "fixtures.runtime.test/v1", kind: "Widget", plural: "widgets", namespaced: true };
type WatchScript = (res: ServerResponse, url: URL) => void;

let server: Server;
let port: number;
let objects: Map<string, { name: string; rv: number }>;
let rv = 0;
let listFailures = 0;
/** Continue tokens the fake refuses as expired (410), counted down per list page that carries one. */
let expireContinues = 0;
/** Called when the fake refuses a continue token (the collection may change then). */
let onExpire: (() => void) | undefined;
/** When set, a list page asked for with a continue token is answered only once the test calls `answer`. */
let holdContinuedPage: ((answer: () => void) => void) | undefined;
/** The `limit` and `continue` of each list request, in order. */
const listPages: { limit: string | null; continue: string | null }[] = [];
let watchScripts: WatchScript[] = [];
const requests: string[] = [];
const openResponses = new Set<ServerResponse>();
/**
 * Each test's informer talks to its own path prefix (`/t<epoch>`): a request of an earlier test's informer that
 * reaches the server late (sent before that informer was stopped) is refused instead of consuming this test's
 * scripts or showing up in its request log.
 */
let epoch = 0;

function widget(name: string, resourceVersion: number): object {
  return {
    apiVersion: kind.apiVersion,
    kind: kind.kind,
    metadata: {
      name,
      namespace: "ns",
      resourceVersion: String(resourceVersion),
      managedFields: [{ manager: "x", operation: "Update", fieldsType: "FieldsV1", fieldsV1: { "f:spec": {} } }],
    },
    // The same probe in every widget, as the same code builds it into every child of a kind.
    spec: { message: name, probe: { httpGet: { path: "/healthz", port: 8080 }, periodSeconds: 10 } },
  };
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? "/", "http://fake");
  if (!url.pathname.startsWith(`/t${epoch}/`)) {
    res.writeHead(410, { "content-type": "application/json" }).end(JSON.stringify({ kind: "Status", message: "a stopped test's informer", code: 410 }));
    return;
  }
  requests.push(`${url.searchParams.get("watch") === "true" ? "watch" : "list"} rv=${url.searchParams.get("resourceVersion") ?? ""}`);
  if (url.searchParams.get("watch") !== "true") {
    if (listFailures > 0) {
      listFailures--;
      res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ kind: "Status", message: "etcd unavailable", code: 503 }));
      return;
    }
    const token = url.searchParams.get("continue");
    listPages.push({ limit: url.searchParams.get("limit"), continue: token });
    if (token !== null && expireContinues > 0) {
      expireContinues--;
      onExpire?.();
      res.writeHead(410, { "content-type": "application/json" });
      res.end(JSON.stringify({ kind: "Status", code: 410, reason: "Expired", message: "The provided continue parameter is too old" }));
      return;
    }
    if (token !== null && holdContinuedPage !== undefined) {
      const hold = holdContinuedPage;
      holdContinuedPage = undefined;
      hold(() => answerListPage(res, url, token));
      return;
    }
    answerListPage(res, url, token);
    return;
  }
  const script = watchScripts.shift();
  if (script === undefined) {
    // Default: an open, quiet watch.
    res.writeHead(200, { "content-type": "application/json" });
    res.flushHeaders();
    openResponses.add(res);
    return;
  }
  script(res, url);
}

function answerListPage(res: ServerResponse, url: URL, token: string | null): void {
  {
    // Pages as the API server makes them: `limit` items in name order, a continue token while more remain.
    const all = [...objects.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
    const from = token === null ? 0 : Number(token);
    const limit = Number(url.searchParams.get("limit") ?? all.length) || all.length;
    const items = all.slice(from, from + limit).map((o) => {
      const w = widget(o.name, o.rv) as { apiVersion?: string; kind?: string };
      delete w.apiVersion; // like the real API server: list items carry no apiVersion/kind
      delete w.kind;
      return w;
    });
    const metadata = { resourceVersion: String(rv), ...(from + limit < all.length ? { continue: String(from + limit) } : {}) };
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ kind: "WidgetList", metadata, items }));
  }
}

function sendEvent(res: ServerResponse, type: string, object: object): void {
  res.write(JSON.stringify({ type, object }) + "\n");
}

function startInformer(overrides: { stallMs?: number; resyncMs?: number; labelSelector?: string; watchIdleMs?: number } = {}) {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "fake", server: `http://127.0.0.1:${port}/t${epoch}`, skipTLSVerify: true }],
    users: [{ name: "u" }],
    contexts: [{ name: "fake", cluster: "fake", user: "u" }],
    currentContext: "fake",
  });
  const metrics = createRuntimeMetrics({ defaultMetrics: false });
  const rest = new KubeRest(kc);
  const events: InformerEvent[] = [];
  const informer = new Informer({
    rest,
    kind,
    log: createJsonLogger({ level: "error" }),
    metrics,
    resyncMs: overrides.resyncMs ?? 0,
    stallMs: overrides.stallMs ?? 60_000,
    watchIdleMs: overrides.watchIdleMs,
    labelSelector: overrides.labelSelector,
    backoff: { baseMs: 50, maxMs: 400, jitter: 0.2 },
  });
  informer.onEvent((e) => events.push(e));
  informer.start();
  return { informer, metrics, events, rest };
}

async function until(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}; requests: ${requests.join(", ")}`);
    await sleep(10);
  }
}

async function restarts(metrics: ReturnType<typeof createRuntimeMetrics>, reason: string): Promise<number> {
  const values = (await metrics.watchRestarts.get()).values;
  return values.filter((v) => v.labels.reason === reason).reduce((sum, v) => sum + v.value, 0);
}

before(async () => {
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  for (const res of openResponses) res.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** The test's one watch: answered, then held open for the test to send events on (`stream`, once connected). */
function holdWatch(): { stream: ServerResponse | undefined } {
  const watch: { stream: ServerResponse | undefined } = { stream: undefined };
  watchScripts = [
    (res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.flushHeaders();
      watch.stream = res;
      openResponses.add(res);
    },
  ];
  return watch;
}

function reset(): void {
  epoch++;
  objects = new Map([["a", { name: "a", rv: 1 }]]);
  rv = 1;
  listFailures = 0;
  expireContinues = 0;
  onExpire = undefined;
  holdContinuedPage = undefined;
  listPages.length = 0;
  watchScripts = [];
  requests.length = 0;
}

test("a watch that goes silent is restarted by the watchdog and the missed change arrives", async () => {
  reset();
  let silent: ServerResponse | undefined;
  watchScripts = [
    (res) => {
      // Connected, then never a byte again: the silent stop seen in client-node issues.
      res.writeHead(200, { "content-type": "application/json" });
      res.flushHeaders();
      silent = res;
      openResponses.add(res);
    },
    (res, url) => {
      res.writeHead(200, { "content-type": "application/json" });
      assert.equal(url.searchParams.get("resourceVersion"), "1", "resumes from the last resourceVersion, no relist");
      sendEvent(res, "ADDED", widget("b", 2));
      openResponses.add(res);
    },
  ];
  const { informer, metrics } = startInformer({ stallMs: 400 });
  try {
    await until("synced", () => informer.synced);
    assert.ok(informer.get("ns", "a"), "listed object cached");
    assert.equal(informer.get("ns", "a")?.apiVersion, kind.apiVersion, "list items get apiVersion/kind");
    assert.deepEqual(informer.get("ns", "a")?.metadata?.managedFields, [{ manager: "x", operation: "Update" }], "managedFields trimmed to who wrote how");
    await until("b via the restarted watch", () => informer.get("ns", "b") !== undefined);
    assert.ok(silent !== undefined);
    // The restarted watch goes quiet after its event too, so a slow machine may see it restarted as well before this line.
    assert.ok((await restarts(metrics, "stalled")) >= 1, "the silent watch was restarted as stalled");
    assert.deepEqual(requests.slice(0, 3), ["list rv=", "watch rv=1", "watch rv=1"]);
    assert.ok(informer.healthy);
  } finally {
    informer.stop();
  }
});

test("a watch silent for watchIdleMs is dropped and resumed from its resourceVersion, without a relist; by default that is longer than the API server's bookmark period", async () => {
  // A filtered watch of a kind others change often hears nothing but the API server's bookmarks, about one a minute
  // (61, 121, 182 s measured on kube-apiserver v1.36). Dropped after 30 s, as it was, its resourceVersion never
  // moved, expired in the watch cache, and every such expiry was a relist and a re-queue of every resource.
  assert.ok(WATCH_IDLE_MS > 60_000, `the default ${WATCH_IDLE_MS} ms outlasts a bookmark period`);
  reset();
  watchScripts = [
    (res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.flushHeaders();
      openResponses.add(res);
    },
    (res) => {
      res.writeHead(200, { "content-type": "application/json" });
      sendEvent(res, "ADDED", widget("b", 2));
      openResponses.add(res);
    },
  ];
  const { informer, metrics } = startInformer({ watchIdleMs: 300 });
  try {
    await until("b via the resumed watch", () => informer.get("ns", "b") !== undefined);
    assert.deepEqual(requests.slice(0, 3), ["list rv=", "watch rv=1", "watch rv=1"]);
    assert.equal(await restarts(metrics, "stalled"), 0, "not the watchdog's doing");
  } finally {
    informer.stop();
  }
});

test("watch errors back off and retry; a list failure is retried until synced", async () => {
  reset();
  listFailures = 2;
  const fail: WatchScript = (res) =>
    res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ kind: "Status", code: 500, message: "boom" }));
  watchScripts = [fail, fail, fail];
  const { informer, metrics } = startInformer();
  try {
    await until("synced after list failures", () => informer.synced);
    await until("watching after three failed watches", () => requests.filter((r) => r.startsWith("watch")).length >= 4);
    assert.equal(await restarts(metrics, "error"), 5, "two list failures and three watch failures");
    assert.equal(requests.filter((r) => r.startsWith("list")).length, 3);
  } finally {
    informer.stop();
  }
});

test("410 Gone relists: objects deleted meanwhile are reported deleted, new ones added", async () => {
  reset();
  watchScripts = [
    (res) => {
      res.writeHead(200, { "content-type": "application/json" });
      objects = new Map([["c", { name: "c", rv: 7 }]]);
      rv = 7;
      sendEvent(res, "ERROR", { kind: "Status", code: 410, reason: "Expired", message: "too old resource version" });
      res.end();
    },
  ];
  const { informer, metrics, events } = startInformer();
  let relists = 0;
  informer.onRelist(() => relists++);
  try {
    await until("relisted and watching again", () => informer.get("ns", "c") !== undefined && requests.length >= 4);
    assert.equal(informer.get("ns", "a"), undefined);
    assert.ok(events.some((e) => e.type === "delete" && e.object.metadata?.name === "a"));
    assert.ok(events.some((e) => e.type === "add" && e.object.metadata?.name === "c"));
    assert.equal(await restarts(metrics, "expired"), 1);
    assert.equal(relists, 1, "relist handlers run after a relist, not after the first sync");
    assert.deepEqual(requests.slice(0, 4), ["list rv=", "watch rv=1", "list rv=", "watch rv=7"]);
  } finally {
    informer.stop();
  }
});

test("a list comes in pages of 25 with continue tokens; an expired token lists again from the start without pages, and the cache is replaced once, whole", async () => {
  reset();
  objects = new Map(Array.from({ length: 60 }, (_, i) => [`w${String(i).padStart(2, "0")}`, { name: `w${String(i).padStart(2, "0")}`, rv: 1 }]));
  expireContinues = 1;
  // Deleted while the list was between its pages: the first page had it, the whole list that follows does not.
  onExpire = () => objects.delete("w00");
  const watch = holdWatch();
  const { informer, metrics, events } = startInformer();
  try {
    await until("synced", () => informer.synced);
    // Then the first pages again on a relist, which the watch's 410 below asks for.
    assert.deepEqual(listPages, [
      { limit: "25", continue: null },
      { limit: "25", continue: "25" },
      { limit: null, continue: null },
    ]);
    assert.equal(informer.size, 59, "every object of the whole list, and none of the first page that it no longer has");
    assert.equal(informer.get("ns", "w00"), undefined);
    assert.equal(informer.get("ns", "w59")?.metadata?.name, "w59");
    assert.deepEqual(
      events.filter((e) => e.type !== "add"),
      [],
      "nothing reported deleted or changed",
    );
    assert.equal(events.length, 59, "each object added once");
    assert.equal(await restarts(metrics, "error"), 0, "an expired continue token is no failure of the list");
    // A later relist pages again, and a token that stays valid reads every page.
    objects.delete("w01");
    await until("watching", () => watch.stream !== undefined);
    sendEvent(watch.stream!, "ERROR", { kind: "Status", code: 410, reason: "Expired", message: "too old resource version" });
    watch.stream!.end();
    await until("relisted", () => informer.get("ns", "w01") === undefined);
    assert.deepEqual(listPages.slice(3), [
      { limit: "25", continue: null },
      { limit: "25", continue: "25" },
      { limit: "25", continue: "50" },
    ]);
    assert.equal(informer.size, 58);
    assert.deepEqual(
      events.slice(59).map((e) => `${e.type} ${e.object.metadata?.name}`),
      ["delete w01"],
    );
  } finally {
    informer.stop();
  }
});

/** `object` with a uid (an object a write created). */
function withUid(object: object, uid: string): KubernetesObject {
  const o = object as KubernetesObject;
  return { ...o, metadata: { ...o.metadata, uid } };
}

/**
 * 30 objects at rv 1 and a synced informer whose watch then expires (after `beforeExpiry`): returned while its relist
 * waits for its second page, which the server answers on `answer()`, with what `objects` and `rv` hold then. `streams`:
 * the watches, held open (the second is the one after the relist).
 */
async function relistHeldBetweenPages(beforeExpiry: (informer: Informer) => void = () => {}) {
  reset();
  objects = new Map(Array.from({ length: 30 }, (_, i) => [`w${String(i).padStart(2, "0")}`, { name: `w${String(i).padStart(2, "0")}`, rv: 1 }]));
  const streams: ServerResponse[] = [];
  const held: WatchScript = (res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.flushHeaders();
    streams.push(res);
    openResponses.add(res);
  };
  watchScripts = [held, held];
  const started = startInformer();
  try {
    await until("watching", () => streams.length === 1 && started.informer.synced);
    beforeExpiry(started.informer);
    let answer: (() => void) | undefined;
    holdContinuedPage = (go) => (answer = go);
    sendEvent(streams[0]!, "ERROR", { kind: "Status", code: 410, reason: "Expired", message: "too old resource version" });
    streams[0]!.end();
    await until("the relist waits for its second page", () => answer !== undefined);
    return { ...started, streams, answer: answer! };
  } catch (error) {
    started.informer.stop();
    throw error;
  }
}

test("a relist keeps this process's writes answered while it listed (newer than its list): no rollback, no false delete", async () => {
  // A write answered before the relist began, at a version the list then does not reach (etcd restored from a
  // backup: versions went back): the list is the truth for it.
  const { informer, events, streams, answer } = await relistHeldBetweenPages((informer) =>
    informer.observeWrite({ ...widget("w10", 9), status: { beforeTheRestore: true } } as KubernetesObject),
  );
  try {
    // The relist read its first page at rv 1, and its second waits while a reconcile writes: a status (rv 5) and a child
    // it creates (rv 6). Neither is in the list, which is of rv 1.
    informer.observeWrite({ ...widget("w05", 5), status: { written: true } } as KubernetesObject);
    informer.observeWrite(withUid(widget("new", 6), "u-new"), true);
    const before = events.length;
    answer();
    await until("watching again", () => streams.length === 2);
    assert.equal(informer.get("ns", "w05")?.metadata?.resourceVersion, "5", "the status written is not rolled back to the list's older version");
    assert.deepEqual((informer.get("ns", "w05") as { status?: unknown }).status, { written: true });
    assert.equal(informer.get("ns", "new")?.metadata?.uid, "u-new", "the child just created is not dropped for missing from the older list");
    assert.equal(informer.get("ns", "w10")?.metadata?.resourceVersion, "1", "a write from before the list is the list's");
    assert.deepEqual(
      events.slice(before).map((e) => `${e.type} ${e.object.metadata?.name} ${e.object.metadata?.resourceVersion}`),
      ["update w10 1"],
      "nothing else reported: no delete of the new child, no update of w05 back to rv 1",
    );
    assert.ok(
      requests.includes("watch rv=1") && requests.lastIndexOf("watch rv=1") > requests.indexOf("watch rv=1"),
      "the watch resumes at the list's version",
    );
    // The watch from rv 1 then brings a change older than our write (someone else's, between the list and the write:
    // skipped, not rolled back to), both writes (no news), and what follows them.
    sendEvent(streams[1]!, "MODIFIED", widget("w05", 3));
    sendEvent(streams[1]!, "MODIFIED", { ...widget("w05", 5), status: { written: true } });
    sendEvent(streams[1]!, "ADDED", withUid(widget("new", 6), "u-new"));
    sendEvent(streams[1]!, "MODIFIED", { ...widget("w05", 7), status: { written: true, later: true } });
    await until("rv 7", () => informer.get("ns", "w05")?.metadata?.resourceVersion === "7");
    assert.deepEqual(
      events.slice(before).map((e) => `${e.type} ${e.object.metadata?.name} ${e.object.metadata?.resourceVersion}`),
      ["update w10 1", "update w05 7"],
    );
    // A later relist whose list is newer than the writes is the truth again: the child, deleted meanwhile, goes.
    rv = 8;
    objects.set("w05", { name: "w05", rv: 7 });
    sendEvent(streams[1]!, "ERROR", { kind: "Status", code: 410, reason: "Expired", message: "too old resource version" });
    streams[1]!.end();
    await until("relisted at rv 8", () => informer.get("ns", "new") === undefined);
    assert.deepEqual(
      events.slice(before + 2).map((e) => `${e.type} ${e.object.metadata?.name}`),
      ["delete new"],
    );
  } finally {
    informer.stop();
  }
});

test("a write answered while the relist listed, at a version its list covers, is the list's: the list holds it or what came after", async () => {
  const { informer, events, answer, streams } = await relistHeldBetweenPages();
  try {
    // Our writes at rv 5 (w26, on the list's last page) and rv 6 (a child, deleted again at once by someone else);
    // the list is of rv 7: w26 changed again by then, and the child gone.
    informer.observeWrite({ ...widget("w26", 5), status: { ours: true } } as KubernetesObject);
    informer.observeWrite(withUid(widget("ghost", 6), "u-ghost"), true);
    objects.set("w26", { name: "w26", rv: 7 });
    rv = 7;
    const before = events.length;
    answer();
    await until("watching again", () => streams.length === 2);
    assert.equal(informer.get("ns", "w26")?.metadata?.resourceVersion, "7");
    assert.equal(informer.get("ns", "ghost"), undefined, "the child the list no longer holds is gone (no watch event would remove it)");
    assert.deepEqual(
      events.slice(before).map((e) => `${e.type} ${e.object.metadata?.name} ${e.object.metadata?.resourceVersion}`),
      ["delete ghost 6", "update w26 7"],
    );
  } finally {
    informer.stop();
  }
});

test("watch events update the cache: modified, deleted, bookmarks move the resourceVersion only", async () => {
  reset();
  watchScripts = [
    (res) => {
      res.writeHead(200, { "content-type": "application/json" });
      sendEvent(res, "MODIFIED", widget("a", 2));
      sendEvent(res, "MODIFIED", widget("a", 2)); // same resourceVersion: no event
      sendEvent(res, "BOOKMARK", { kind: kind.kind, apiVersion: kind.apiVersion, metadata: { resourceVersion: "5" } });
      sendEvent(res, "DELETED", widget("a", 6));
      openResponses.add(res);
    },
  ];
  const { informer, events } = startInformer();
  try {
    await until("a deleted", () => events.some((e) => e.type === "delete"));
    assert.deepEqual(
      events.map((e) => `${e.type} ${e.object.metadata?.name}@${e.object.metadata?.resourceVersion}`),
      ["add a@1", "update a@2", "delete a@2"],
    );
    assert.equal(informer.resourceVersion, "6");
    assert.equal(informer.size, 0);
  } finally {
    informer.stop();
  }
});

test("periodic resync re-delivers every cached object", async () => {
  reset();
  objects.set("b", { name: "b", rv: 1 });
  const { informer, events } = startInformer({ resyncMs: 100 });
  try {
    await until("two resync rounds", () => events.filter((e) => e.type === "resync").length >= 4, 3000);
    const resynced = new Set(events.filter((e) => e.type === "resync").map((e) => e.object.metadata?.name));
    assert.deepEqual([...resynced].sort(), ["a", "b"]);
  } finally {
    informer.stop();
  }
});

test("stop closes every watch connection, also when a restart overtook a watch that was still connecting", async () => {
  reset();
  const open = new Set<ServerResponse>();
  const track = (res: ServerResponse): void => {
    open.add(res);
    res.on("close", () => open.delete(res));
  };
  let answerFirst = (): void => undefined;
  watchScripts = [
    (res) => {
      // The first watch's answer is late (a slow connection): its headers arrive after the restart's.
      track(res);
      answerFirst = () => {
        res.writeHead(200, { "content-type": "application/json" });
        res.flushHeaders();
      };
    },
    (res) => {
      track(res);
      res.writeHead(200, { "content-type": "application/json" });
      res.flushHeaders();
    },
  ];
  const { informer, rest } = startInformer();
  try {
    await until("first watch requested", () => open.size === 1);
    informer.restartWatch("test");
    await until("second watch requested", () => requests.filter((r) => r.startsWith("watch")).length === 2);
    await until("the restart closed the first watch while it was still connecting", () => open.size === 1);
    await sleep(100);
    answerFirst();
    await sleep(100);
    informer.stop();
    await until("every watch connection closed after stop", () => open.size === 0, 2000);
  } finally {
    informer.stop();
    for (const res of open) res.destroy();
    await rest.close();
  }
});

test("observeWrite: a newer answer of our own write updates the cache at once; an older one, an unknown object or an opaque version does not", async () => {
  reset();
  const { informer, events } = startInformer();
  try {
    await until("synced", () => informer.synced);
    const written = { ...(widget("a", 5) as KubernetesObject), status: { ready: true } };
    informer.observeWrite(structuredClone(written));
    assert.equal(informer.get("ns", "a")?.metadata?.resourceVersion, "5");
    assert.deepEqual((informer.get("ns", "a") as { status?: unknown }).status, { ready: true });
    assert.deepEqual(informer.get("ns", "a")?.metadata?.managedFields, [{ manager: "x", operation: "Update" }], "trimmed like watched objects");
    assert.ok(events.some((e) => e.type === "update" && e.object.metadata?.resourceVersion === "5"));
    informer.observeWrite(widget("a", 3) as never);
    assert.equal(informer.get("ns", "a")?.metadata?.resourceVersion, "5", "an older answer (a slow write) never replaces a newer object");
    informer.observeWrite(widget("gone", 9) as never);
    assert.equal(informer.get("ns", "gone"), undefined, "a write never resurrects an object the cache does not hold");
    informer.observeWrite({ ...widget("a", 6), metadata: { name: "a", namespace: "ns", resourceVersion: "opaque-7" } } as never);
    assert.equal(informer.get("ns", "a")?.metadata?.resourceVersion, "5", "non-integer resourceVersions cannot be ordered: left to the watch");
  } finally {
    informer.stop();
  }
});

test("after observeWrite, a watch event older than the cached object does not roll the cache back", async () => {
  reset();
  const watch = holdWatch();
  const { informer, events } = startInformer();
  try {
    await until("watching", () => watch.stream !== undefined && informer.synced);
    // Our two writes (rv 4: a finalizer, rv 5: the status) answered before the watch brings either.
    informer.observeWrite({ ...(widget("a", 5) as KubernetesObject), status: { written: true } } as KubernetesObject);
    sendEvent(watch.stream!, "MODIFIED", widget("a", 4));
    sendEvent(watch.stream!, "MODIFIED", { ...widget("a", 5), status: { written: true } });
    sendEvent(watch.stream!, "MODIFIED", { ...widget("a", 6), status: { written: true, later: true } });
    await until("rv 6 arrived", () => informer.get("ns", "a")?.metadata?.resourceVersion === "6");
    const seen = events.filter((e) => e.type === "update").map((e) => e.object.metadata?.resourceVersion);
    assert.deepEqual(seen, ["5", "6"], "the stale rv 4 event neither replaced the cached rv 5 nor was delivered");
  } finally {
    informer.stop();
  }
});

test("observeWrite of an object the write created: cached at once and silently (its watch event then adds nothing); never one deleted meanwhile or outside the selector", async () => {
  reset();
  const watch = holdWatch();
  const { informer, events } = startInformer({ labelSelector: "app.kubernetes.io/managed-by=us" });
  const created = (name: string, rv: number, uid: string, managedBy = "us"): KubernetesObject => {
    const object = widget(name, rv) as KubernetesObject;
    return { ...object, metadata: { ...object.metadata, uid, labels: { "app.kubernetes.io/managed-by": managedBy } } };
  };
  try {
    await until("watching", () => watch.stream !== undefined && informer.synced);
    informer.observeWrite(created("new", 7, "u-new"), true);
    assert.equal(informer.get("ns", "new")?.metadata?.resourceVersion, "7");
    informer.observeWrite(created("updated-elsewhere", 8, "u-x"));
    assert.equal(informer.get("ns", "updated-elsewhere"), undefined, "not created by this write: maybe deleted meanwhile");
    informer.observeWrite(created("theirs", 9, "u-t", "someone-else"), true);
    assert.equal(informer.get("ns", "theirs"), undefined, "outside the selector");
    sendEvent(watch.stream!, "ADDED", created("gone", 10, "u-gone"));
    sendEvent(watch.stream!, "DELETED", created("gone", 11, "u-gone"));
    await until("the delete arrived", () => events.some((e) => e.type === "delete"));
    informer.observeWrite(created("gone", 10, "u-gone"), true);
    assert.equal(informer.get("ns", "gone"), undefined, "the answer of a write that the watch has seen deleted since");
    // The watch brings the created object, then the deletion of an earlier one of the same name.
    sendEvent(watch.stream!, "ADDED", created("new", 7, "u-new"));
    sendEvent(watch.stream!, "DELETED", created("new", 5, "u-older"));
    sendEvent(watch.stream!, "MODIFIED", created("new", 12, "u-new"));
    await until("rv 12", () => informer.get("ns", "new")?.metadata?.resourceVersion === "12");
    const seen = events
      .filter((e) => e.object.metadata?.name === "new")
      .map((e) => `${e.type} ${e.object.metadata?.uid} ${e.object.metadata?.resourceVersion}`);
    assert.deepEqual(seen, ["delete u-older 5", "update u-new 12"], "no add for our own creation; the older object's delete did not take the new one");
  } finally {
    informer.stop();
  }
});

test("a Secret's long values are not kept in the process-wide table of large values (they would outlive the Secret); a ConfigMap's are, once", async () => {
  reset();
  const watch = holdWatch();
  const { informer } = startInformer();
  // Distinct per run of this file: a value the table holds already would not count again.
  const long = (what: string): string => `${what}-${process.hrtime.bigint()}-`.padEnd(2048, "k");
  const object = (kind: string, name: string, value: string): KubernetesObject =>
    ({ apiVersion: "v1", kind, metadata: { name, namespace: "ns", uid: `u-${name}`, resourceVersion: "7" }, data: { "tls.key": value } }) as KubernetesObject;
  try {
    await until("watching", () => watch.stream !== undefined && informer.synced);
    const before = internedValueCount();
    // The informer's kind is not checked on watch events (the API server sends only its own), so one watch serves both kinds.
    sendEvent(watch.stream!, "ADDED", object("Secret", "tls", long("secret")));
    sendEvent(watch.stream!, "MODIFIED", {
      ...object("Secret", "tls", long("rotated")),
      metadata: { name: "tls", namespace: "ns", uid: "u-tls", resourceVersion: "8" },
    });
    await until("the rotated Secret cached", () => informer.get("ns", "tls")?.metadata?.resourceVersion === "8");
    assert.equal(internedValueCount(), before, "no Secret value kept");
    sendEvent(watch.stream!, "ADDED", object("ConfigMap", "scripts", long("scripts")));
    await until("the ConfigMap cached", () => informer.get("ns", "scripts") !== undefined);
    assert.equal(internedValueCount(), before + 1, "the ConfigMap's long value kept once");
  } finally {
    informer.stop();
  }
});

test("a listed object takes the parts it shares with the object listed before it by comparison, not by a hash of each (a restart lists thousands built by the same code)", async () => {
  reset();
  objects = new Map(Array.from({ length: 60 }, (_, i) => [`w${String(i).padStart(2, "0")}`, { name: `w${String(i).padStart(2, "0")}`, rv: 1 }]));
  const watch = holdWatch();
  const before = sharedLookupCount();
  const { informer } = startInformer();
  try {
    await until("synced", () => informer.synced);
    await until("watching", () => watch.stream !== undefined);
    // The first widget's probe, its parts and its managedFields entry are looked up; the other 59 take them from the
    // widget before them (each part of them hashed instead: at least 4 lookups a widget).
    const lookups = sharedLookupCount() - before;
    assert.ok(lookups < 30, `parts looked up while listing 60 widgets: ${lookups}`);
    const [first, last] = [informer.get("ns", "w00"), informer.get("ns", "w59")] as { spec: { message: string; probe: object } }[];
    assert.equal(last?.spec.probe, first?.spec.probe, "the probe is one object");
    assert.ok(Object.isFrozen(first?.spec.probe));
    assert.equal(last?.spec.message, "w59", "what differs is the widget's own");
    const expected = widget("w59", 1) as KubernetesObject & { spec: object };
    expected.metadata!.managedFields = [{ manager: "x", operation: "Update" }];
    assert.deepEqual(last, expected, "what a reader sees is what was listed (managedFields without their field sets)");
    assert.equal(JSON.stringify(last?.spec), JSON.stringify(expected.spec), "in the order listed");
  } finally {
    informer.stop();
  }
});
