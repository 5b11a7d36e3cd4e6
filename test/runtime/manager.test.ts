/**
 * The Manager against a scripted API server whose watch can lag behind writes (as a busy real
 * one does for milliseconds, which cannot be provoked on demand from a real kube-apiserver):
 * a reconcile queued right behind a status write must see that write.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { KubeConfig } from "@kubernetes/client-node";
import { Manager } from "../../src/runtime/manager.ts";
import { DEFAULT_MAX_CONNECTIONS } from "../../src/runtime/kube-rest.ts";
import { createJsonLogger } from "../../src/runtime/logger.ts";
import { eventually } from "../helpers/eventually.ts";
import { configMapKind, WidgetReconciler, widgetType } from "../fixtures/runtime/widget-reconciler.ts";

type Json = Record<string, unknown>;

function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return patch;
  const result: Json = typeof target === "object" && target !== null && !Array.isArray(target) ? { ...(target as Json) } : {};
  for (const [key, value] of Object.entries(patch as Json)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** Widgets and ConfigMaps in memory (created by apply or POST); status writes reach watchers only when `releaseStatusEvents` is called. */
async function startFakeApiServer() {
  let rv = 1;
  const objects = new Map<string, Json>();
  const watchers = new Map<string, Set<ServerResponse>>();
  const heldEvents: (() => void)[] = [];
  const collections: Record<string, string> = { "/apis/fixtures.runtime.test/v1/widgets": "Widget", "/api/v1/configmaps": "ConfigMap" };
  const collectionOf = (kind: string): string => Object.keys(collections).find((c) => collections[c] === kind) ?? "";
  // Every event sent, so that a watch starting from an older resourceVersion gets what it missed.
  const history: { collection: string; rv: number; line: string }[] = [];
  const notify = (type: string, object: Json): void => {
    const collection = collectionOf(object.kind as string);
    const line = JSON.stringify({ type, object }) + "\n";
    history.push({ collection, rv: Number((object.metadata as Json).resourceVersion), line });
    for (const res of watchers.get(collection) ?? []) res.write(line);
  };
  const store = (path: string, object: Json): Json => {
    const stored = { ...object, metadata: { ...(object.metadata as Json), resourceVersion: String(++rv) } };
    objects.set(path, stored);
    return stored;
  };
  store("/apis/fixtures.runtime.test/v1/namespaces/ns/widgets/w1", {
    apiVersion: "fixtures.runtime.test/v1",
    kind: "Widget",
    metadata: { name: "w1", namespace: "ns", uid: "uid-w1", generation: 1 },
    spec: { message: "hello" },
  });
  const requests: string[] = [];
  const handle = (req: IncomingMessage, res: ServerResponse, text: string): void => {
    const url = new URL(req.url ?? "/", "http://fake");
    if (url.searchParams.get("watch") !== "true") requests.push(`${req.method ?? ""} ${url.pathname}`);
    const reply = (code: number, body: unknown): void => void res.writeHead(code, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (req.method === "GET" && collections[url.pathname] !== undefined) {
      if (url.searchParams.get("watch") === "true") {
        res.writeHead(200, { "content-type": "application/json" });
        res.flushHeaders();
        const since = Number(url.searchParams.get("resourceVersion") ?? "0");
        for (const event of history) if (event.collection === url.pathname && event.rv > since) res.write(event.line);
        const set = watchers.get(url.pathname) ?? new Set();
        watchers.set(url.pathname, set.add(res));
        res.on("close", () => set.delete(res));
        return;
      }
      const kind = collections[url.pathname];
      const items = [...objects.values()].filter((o) => o.kind === kind);
      return reply(200, { metadata: { resourceVersion: String(rv) }, items });
    }
    if (req.method === "POST" && url.pathname.endsWith("/events")) return reply(201, JSON.parse(text));
    const status = url.pathname.endsWith("/status");
    const path = status ? url.pathname.slice(0, -"/status".length) : url.pathname;
    if (req.method === "POST") {
      const object = JSON.parse(text) as Json;
      const target = `${url.pathname}/${(object.metadata as Json).name as string}`;
      if (objects.has(target)) return reply(409, { kind: "Status", code: 409, reason: "AlreadyExists", message: "already exists" });
      const stored = store(target, object);
      notify("ADDED", stored);
      return reply(201, stored);
    }
    if (req.method !== "PATCH") return reply(404, { kind: "Status", code: 404, message: `${req.method} ${url.pathname}` });
    const body = JSON.parse(text) as Json;
    const current = objects.get(path);
    if (req.headers["content-type"] === "application/apply-patch+yaml") {
      const created = current === undefined;
      const merged = mergePatch(current, body) as Json;
      // Like the API server, an apply that changes nothing writes nothing (no new resourceVersion, no event).
      if (!created && JSON.stringify(merged) === JSON.stringify(current)) return reply(200, current);
      const stored = store(path, merged);
      notify(created ? "ADDED" : "MODIFIED", stored);
      return reply(created ? 201 : 200, stored);
    }
    if (current === undefined) return reply(404, { kind: "Status", code: 404, message: "not found" });
    const precondition = (body.metadata as Json | undefined)?.resourceVersion;
    if (precondition !== undefined && precondition !== (current.metadata as Json).resourceVersion)
      return reply(409, { kind: "Status", code: 409, message: "conflict" });
    const patch = status ? { status: body.status } : { ...body, metadata: { ...(body.metadata as Json), resourceVersion: undefined } };
    const stored = store(path, mergePatch(current, JSON.parse(JSON.stringify(patch))) as Json);
    // The watch lags behind status writes: their events come only when the test says so.
    if (status) heldEvents.push(() => notify("MODIFIED", stored));
    else notify("MODIFIED", stored);
    reply(200, stored);
  };
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (chunk: Buffer) => (text += chunk.toString()));
    req.on("end", () => handle(req, res, text));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: "fake", server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: "u" }],
    contexts: [{ name: "fake", cluster: "fake", user: "u" }],
    currentContext: "fake",
  });
  return {
    kubeConfig,
    widget: () => objects.get("/apis/fixtures.runtime.test/v1/namespaces/ns/widgets/w1"),
    /** `METHOD path` of every request but watches, in order. */
    requests,
    releaseStatusEvents: () => heldEvents.splice(0).forEach((send) => send()),
    close: async () => {
      for (const set of watchers.values()) for (const res of set) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A manager of the fake API server's widgets, without probes or periodic resync. */
function widgetManager(kubeConfig: KubeConfig): Manager {
  return new Manager({
    name: "widget-test",
    kubeConfig,
    probePort: false,
    logger: createJsonLogger({ level: process.env.DEBUG_TEST ? "debug" : "error" }),
    resyncMs: 0,
  });
}

class CountingReconciler extends WidgetReconciler {
  creates = 0;
  override async onCreate(widget: Parameters<WidgetReconciler["onCreate"]>[0]): ReturnType<WidgetReconciler["onCreate"]> {
    this.creates++;
    return super.onCreate(widget);
  }
}

test(
  "a reconcile queued right behind a status write reads that write, even before the watch delivers it: onCreate runs once",
  { timeout: 90_000 },
  async () => {
    const fake = await startFakeApiServer();
    const reconciler = new CountingReconciler("test");
    const manager = widgetManager(fake.kubeConfig);
    const controller = manager.addController({ name: "widget", resourceType: widgetType, owns: [configMapKind], reconciler });
    const running = manager.start();
    try {
      await eventually("the first reconcile's status write", async () => (fake.widget()?.status as Json | undefined)?.appliedSpec !== undefined, 60_000, 10);
      // The finalizer's and the ConfigMap's events queued the widget again behind the first reconcile.
      while (controller.queue.length > 0 || controller.queue.processing > 0) await sleep(10);
      await sleep(200);
      assert.equal(reconciler.creates, 1, "onCreate ran again on a cache that had not seen the status write");
      fake.releaseStatusEvents();
      await sleep(200);
      assert.equal(reconciler.creates, 1);
    } finally {
      await manager.stop();
      await running.catch(() => undefined);
      await fake.close();
    }
  },
);

test("a child that the cache of what the manager labelled does not hold is created at once (POST), without a GET first", { timeout: 90_000 }, async () => {
  const fake = await startFakeApiServer();
  const manager = widgetManager(fake.kubeConfig);
  manager.addController({ name: "widget", resourceType: widgetType, owns: [configMapKind], reconciler: new WidgetReconciler("test") });
  const running = manager.start();
  try {
    await eventually("the first reconcile's status write", async () => (fake.widget()?.status as Json | undefined)?.appliedSpec !== undefined, 60_000, 10);
    const configMaps = fake.requests.filter((r) => r.includes("/configmaps"));
    assert.ok(
      configMaps.some((r) => r.startsWith("POST ")),
      `created: ${configMaps.join(", ")}`,
    );
    assert.deepEqual(
      configMaps.filter((r) => r.startsWith("GET ") && r !== "GET /api/v1/configmaps"),
      [],
      "no look-up before the create: a create fails on an object someone else made, which is then read and refused",
    );
  } finally {
    await manager.stop();
    await running.catch(() => undefined);
    await fake.close();
  }
});

test("maxConnections reaches the Manager's API client; its default is the client's", async () => {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: "c", server: "http://127.0.0.1:1", skipTLSVerify: true }],
    users: [{ name: "u" }],
    contexts: [{ name: "c", cluster: "c", user: "u" }],
    currentContext: "c",
  });
  const narrow = new Manager({ name: "widget-test", kubeConfig, probePort: false, maxConnections: 5 });
  const plain = widgetManager(kubeConfig);
  assert.equal(narrow.rest.maxConnections, 5);
  assert.equal(plain.rest.maxConnections, DEFAULT_MAX_CONNECTIONS);
});
