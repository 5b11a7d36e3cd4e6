import { test } from "node:test";
import assert from "node:assert/strict";
import type { KubernetesObject, V1OwnerReference } from "@kubernetes/client-node";
import { KubeApiError, resourcePath, type KindInfo, type KubeRest } from "../../src/runtime/kube-rest.ts";
import { AlreadyOwnedError, ObjectWriter } from "../../src/runtime/reconcile-context.ts";

const configMaps: KindInfo = { apiVersion: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true };

/** An API server of ConfigMaps in memory: answers GET and PATCH by path, and records each request. */
class FakeRest {
  readonly objects = new Map<string, KubernetesObject>();
  readonly requests: string[] = [];

  async kindInfo(): Promise<KindInfo> {
    return configMaps;
  }
  async pathOf(object: KubernetesObject): Promise<string> {
    return resourcePath(configMaps, object.metadata?.namespace, object.metadata?.name ?? "");
  }
  get<T>(path: string): Promise<T> {
    return this.request<T>("GET", path);
  }
  async request<T>(method: string, path: string, options: { body?: unknown } = {}): Promise<T> {
    this.requests.push(`${method} ${path}`);
    if (method === "GET") {
      const object = this.objects.get(path);
      if (object === undefined) throw new KubeApiError(404, "not found", { reason: "NotFound" });
      return structuredClone(object) as T;
    }
    const body = options.body as KubernetesObject;
    this.objects.set(path, body);
    return structuredClone(body) as T;
  }
}

const owner = (uid: string): KubernetesObject => ({ apiVersion: "example.test/v1", kind: "Gadget", metadata: { name: "g1", namespace: "ns", uid } });
const reference = (uid: string, controller = true): V1OwnerReference => ({
  apiVersion: "example.test/v1",
  kind: "Gadget",
  name: "g1",
  uid,
  controller,
  blockOwnerDeletion: true,
});
const child = (): KubernetesObject & { data: Record<string, string> } => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "g1-config", namespace: "ns" },
  data: { a: "1" },
});
const path = "/api/v1/namespaces/ns/configmaps/g1-config";

function writer(rest: FakeRest, cache?: Map<string, KubernetesObject>): ObjectWriter {
  return new ObjectWriter({
    rest: rest as unknown as KubeRest,
    fieldManager: "test",
    readCache: cache === undefined ? undefined : (_apiVersion, _kind, namespace, name) => ({ object: cache.get(`${namespace}/${name}`) }),
  });
}

test("apply refuses an object another uid controls (an earlier owner of the same name), naming both, and writes nothing", async () => {
  const rest = new FakeRest();
  rest.objects.set(path, { ...child(), metadata: { ...child().metadata, uid: "c-old", ownerReferences: [reference("old-uid")] } });
  const error = await writer(rest)
    .apply(child(), { owner: owner("new-uid") })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  assert.ok(error instanceof AlreadyOwnedError, `expected AlreadyOwnedError, got ${String(error)}`);
  assert.match(error.message, /ConfigMap ns\/g1-config/);
  assert.match(error.message, /Gadget g1 \(uid old-uid\)/);
  assert.match(error.message, /uid new-uid/);
  assert.match(error.message, /garbage collector/);
  assert.equal(error.controller.uid, "old-uid");
  assert.deepEqual(rest.requests, [`GET ${path}`], "read, never patched");
  assert.deepEqual(rest.objects.get(path)?.metadata?.ownerReferences, [reference("old-uid")]);
});

test("apply reads the informer cache when the kind is cached: a foreign controller there is refused without a GET", async () => {
  const rest = new FakeRest();
  const cache = new Map([["ns/g1-config", { ...child(), metadata: { ...child().metadata, ownerReferences: [reference("old-uid")] } }]]);
  await assert.rejects(writer(rest, cache).apply(child(), { owner: owner("new-uid") }), AlreadyOwnedError);
  assert.deepEqual(rest.requests, []);
});

test("apply with a cached kind and no cached object creates it, with our controller reference, without a GET", async () => {
  const rest = new FakeRest();
  await writer(rest, new Map()).apply(child(), { owner: owner("new-uid") });
  assert.deepEqual(rest.requests, [`PATCH ${path}`]);
  assert.deepEqual(rest.objects.get(path)?.metadata?.ownerReferences, [reference("new-uid")]);
});

test("apply of an absent object (GET 404) creates it with our controller reference", async () => {
  const rest = new FakeRest();
  await writer(rest).apply(child(), { owner: owner("new-uid") });
  assert.deepEqual(rest.requests, [`GET ${path}`, `PATCH ${path}`]);
  assert.deepEqual(rest.objects.get(path)?.metadata?.ownerReferences, [reference("new-uid")]);
});

test("apply goes ahead over our own controller reference, a non-controller reference, or none", async () => {
  for (const existing of [[reference("new-uid")], [reference("someone-else", false)], undefined]) {
    const rest = new FakeRest();
    rest.objects.set(path, { ...child(), metadata: { ...child().metadata, ownerReferences: existing } });
    await writer(rest).apply({ ...child(), data: { a: "2" } }, { owner: owner("new-uid") });
    assert.deepEqual(rest.requests, [`GET ${path}`, `PATCH ${path}`], JSON.stringify(existing));
    assert.equal((rest.objects.get(path) as { data?: Record<string, string> }).data?.a, "2");
  }
});

test("apply without an owner does not look the object up", async () => {
  const rest = new FakeRest();
  rest.objects.set(path, { ...child(), metadata: { ...child().metadata, ownerReferences: [reference("old-uid")] } });
  await writer(rest).apply(child());
  assert.deepEqual(rest.requests, [`PATCH ${path}`]);
});

test("a GET that fails otherwise than 404 fails the apply (no blind adoption)", async () => {
  const rest = new FakeRest();
  rest.get = async () => {
    throw new KubeApiError(403, "forbidden", { reason: "Forbidden" });
  };
  await assert.rejects(writer(rest).apply(child(), { owner: owner("new-uid") }), /forbidden/);
  assert.deepEqual(rest.requests, []);
});

/** Like the API server, a write that changes nothing keeps the resourceVersion; anything else gets a new one. */
class VersioningRest extends FakeRest {
  #version = 0;
  override async request<T>(method: string, path: string, options: { body?: unknown } = {}): Promise<T> {
    if (method === "GET") return super.request<T>(method, path, options);
    this.requests.push(`${method} ${path}`);
    if (method === "DELETE") {
      if (!this.objects.delete(path)) throw new KubeApiError(404, "not found", { reason: "NotFound" });
      return {} as T;
    }
    const current = this.objects.get(path);
    const patch = structuredClone(options.body) as KubernetesObject;
    delete patch.metadata?.resourceVersion;
    const merged = { ...current, ...patch, metadata: { ...current?.metadata, ...patch.metadata } } as KubernetesObject;
    const same =
      current !== undefined &&
      JSON.stringify({ ...merged, metadata: { ...merged.metadata, resourceVersion: undefined } }) ===
        JSON.stringify({ ...current, metadata: { ...current.metadata, resourceVersion: undefined } });
    if (!same) {
      merged.metadata!.resourceVersion = String(++this.#version);
      this.objects.set(path, merged);
    }
    return structuredClone(this.objects.get(path)) as T;
  }
}

test("writes are logged at info as what the API server did: created, changed, deleted, finalizer added/removed; an apply that changed nothing says nothing", async () => {
  const rest = new VersioningRest();
  const cache = new Map<string, KubernetesObject>();
  const lines: string[] = [];
  const log = { debug: () => {}, info: (msg: string) => lines.push(msg), warn: () => {}, error: () => {} };
  const w = new ObjectWriter({
    rest: rest as unknown as KubeRest,
    fieldManager: "test",
    readCache: (_apiVersion, _kind, namespace, name) => ({ object: cache.get(`${namespace}/${name}`) }),
    onWritten: (object) => cache.set(`${object.metadata?.namespace}/${object.metadata?.name}`, object),
  });
  await w.apply(child(), {}, log);
  await w.apply(child(), {}, log);
  await w.apply({ ...child(), data: { a: "2" } }, {}, log);
  const current = cache.get("ns/g1-config")!;
  const held = await w.addFinalizer(current, "example.test/keep", log);
  await w.addFinalizer(held, "example.test/keep", log);
  await w.removeFinalizer(held, "example.test/keep", log);
  await w.delete({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "g1-config", namespace: "ns" } }, {}, log);
  await w.delete({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "g1-config", namespace: "ns" } }, {}, log);
  assert.deepEqual(lines, [
    "created ConfigMap ns/g1-config",
    "changed ConfigMap ns/g1-config",
    "added finalizer example.test/keep to ConfigMap ns/g1-config",
    "removed finalizer example.test/keep from ConfigMap ns/g1-config",
    "deleted ConfigMap ns/g1-config",
  ]);
});
