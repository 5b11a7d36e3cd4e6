import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig, type KubernetesObject, type V1OwnerReference } from "@kubernetes/client-node";
import { KubeApiError, KubeRest, resourcePath, type KindInfo } from "../../src/runtime/kube-rest.ts";
import { MANAGED_BY_LABEL } from "../../src/runtime/managed-objects.ts";
import { AlreadyOwnedError, createReconcileContext, NotLeaderError, NotManagedError, ObjectWriter } from "../../src/runtime/reconcile-context.ts";
import type { ObjectReference } from "../../src/runtime/types.ts";

const configMaps: KindInfo = { apiVersion: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true };

/** An API server of ConfigMaps in memory: answers GET and PATCH by path, POST to the collection (409 when it exists), and records each request. */
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
    return (await this.send<T>(method, path, options)).body;
  }
  async send<T>(method: string, path: string, options: { body?: unknown } = {}): Promise<{ code: number; body: T }> {
    this.requests.push(`${method} ${path}`);
    if (method === "GET") {
      const object = this.objects.get(path);
      if (object === undefined) throw new KubeApiError(404, "not found", { reason: "NotFound" });
      return { code: 200, body: structuredClone(object) as T };
    }
    const body = options.body as KubernetesObject;
    if (method === "POST") {
      const target = `${path}/${body.metadata?.name ?? ""}`;
      if (this.objects.has(target)) throw new KubeApiError(409, "already exists", { reason: "AlreadyExists" });
      this.objects.set(target, body);
      return { code: 201, body: structuredClone(body) as T };
    }
    const created = !this.objects.has(path);
    this.objects.set(path, body);
    return { code: created ? 201 : 200, body: structuredClone(body) as T };
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
const collection = "/api/v1/namespaces/ns/configmaps";
const path = `${collection}/g1-config`;

/** A reconcile context over `writer` that records what it is told to watch. */
function watchingContext(writer: ObjectWriter): { ctx: ReturnType<typeof createReconcileContext>; watched: ObjectReference[] } {
  const watched: ObjectReference[] = [];
  const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
  const ctx = createReconcileContext({
    cache: { get: () => undefined, list: () => [] },
    events: { normal: () => {}, warning: () => {} },
    log: quiet,
    writer,
    watch: (object) => watched.push(object),
  });
  return { ctx, watched };
}

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

test("apply with a cached kind and no cached object creates it (POST), with our controller reference, without a GET", async () => {
  const rest = new FakeRest();
  await writer(rest, new Map()).apply(child(), { owner: owner("new-uid") });
  assert.deepEqual(rest.requests, [`POST ${collection}`]);
  assert.deepEqual(rest.objects.get(path)?.metadata?.ownerReferences, [reference("new-uid")]);
});

test("apply of an absent object (GET 404) creates it (POST) with our controller reference", async () => {
  const rest = new FakeRest();
  await writer(rest).apply(child(), { owner: owner("new-uid") });
  assert.deepEqual(rest.requests, [`GET ${path}`, `POST ${collection}`]);
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

test("read asks the API server for the object as etcd holds it, and with anyVersion for what its watch cache holds (resourceVersion=0)", async () => {
  const rest = new FakeRest();
  rest.objects.set(path, child());
  const queries: unknown[] = [];
  const get = rest.get.bind(rest);
  rest.get = <T>(at: string, options: { query?: Record<string, unknown> } = {}) => {
    queries.push(options.query);
    return get<T>(at);
  };
  const w = writer(rest);
  const named = (name: string): ObjectReference => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "ns" } });
  assert.deepEqual(await w.read(named("g1-config")), child());
  assert.deepEqual(await w.read(named("g1-config"), { anyVersion: true }), child());
  assert.equal(await w.read(named("absent"), { anyVersion: true }), undefined);
  assert.deepEqual(queries, [undefined, { resourceVersion: "0" }, { resourceVersion: "0" }]);
});

test("list reads every page from the API server with the selectors, and gives each item its apiVersion and kind", async () => {
  const pods: KindInfo = { apiVersion: "v1", kind: "Pod", plural: "pods", namespaced: true };
  const asked: { path: string; query: Record<string, unknown> }[] = [];
  const rest = {
    kindInfo: async () => pods,
    get: async (path: string, options: { query?: Record<string, unknown> } = {}) => {
      asked.push({ path, query: options.query ?? {} });
      return options.query?.continue === undefined
        ? { items: [{ metadata: { name: "p1" } }], metadata: { continue: "next" } }
        : { items: [{ metadata: { name: "p2" } }], metadata: {} };
    },
  };
  const list = await new ObjectWriter({ rest: rest as unknown as KubeRest, fieldManager: "test", mayWrite: () => false }).list("v1", "Pod", {
    namespace: "ns",
    labelSelector: "job-name=j",
  });
  assert.deepEqual(
    list.map((p) => `${p.apiVersion} ${p.kind} ${p.metadata?.name}`),
    ["v1 Pod p1", "v1 Pod p2"],
    "both pages; reading needs no leadership",
  );
  assert.deepEqual(
    asked.map((a) => [a.path, a.query.labelSelector, a.query.continue]),
    [
      ["/api/v1/namespaces/ns/pods", "job-name=j", undefined],
      ["/api/v1/namespaces/ns/pods", "job-name=j", "next"],
    ],
  );
});

/** Like the API server, a write that changes nothing keeps the resourceVersion; anything else gets a new one. */
class VersioningRest extends FakeRest {
  #version = 0;
  override async send<T>(method: string, path: string, options: { body?: unknown } = {}): Promise<{ code: number; body: T }> {
    if (method === "GET") return super.send<T>(method, path, options);
    this.requests.push(`${method} ${path}`);
    if (method === "DELETE") {
      if (!this.objects.delete(path)) throw new KubeApiError(404, "not found", { reason: "NotFound" });
      return { code: 200, body: {} as T };
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
    return { code: current === undefined ? 201 : 200, body: structuredClone(this.objects.get(path)) as T };
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

test("a write that waited for a slot of the write limiter is refused when leadership was lost meanwhile, and never sent", async () => {
  const sent: string[] = [];
  const server = createServer((req, res) => {
    sent.push(`${req.method} ${req.url}`);
    req.resume().on("end", () => res.writeHead(200, { "content-type": "application/json" }).end("{}"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: "c", server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: "u" }],
    contexts: [{ name: "c", cluster: "c", user: "u" }],
    currentContext: "c",
  });
  // A limiter whose slot opens when the test says so: the lease is lost while a write waits for it.
  const slots: (() => void)[] = [];
  const limiter = { acquire: () => new Promise<void>((resolve) => slots.push(resolve)) };
  const rest = new KubeRest(kubeConfig, { writeLimiter: limiter });
  rest.registerKind(configMaps);
  let leading = true;
  const objectWriter = new ObjectWriter({ rest, fieldManager: "test", mayWrite: () => leading });
  try {
    const writes: [string, () => Promise<unknown>][] = [
      ["apply", () => objectWriter.apply(child())],
      ["status", () => objectWriter.patchStatus(child(), { phase: "x" })],
      ["delete", () => objectWriter.delete({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "g1-config", namespace: "ns" } })],
      ["finalizer", () => objectWriter.addFinalizer(child(), "test/finalizer")],
    ];
    for (const [name, write] of writes) {
      leading = true;
      const pending = write();
      while (slots.length === 0) await new Promise((resolve) => setImmediate(resolve));
      leading = false;
      slots.shift()?.();
      await assert.rejects(pending, NotLeaderError, name);
    }
    assert.deepEqual(sent, [], "no request reached the API server");
  } finally {
    await rest.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

test("apply is not sent when the cached object holds what it declares, hash annotation included; sent when a field drifted or the declaration changed", async () => {
  const rest = new FakeRest();
  const cache = new Map<string, KubernetesObject>();
  let unchanged = 0;
  const hashing = new ObjectWriter({
    rest: rest as unknown as KubeRest,
    fieldManager: "test",
    appliedHashAnnotation: "test/applied-hash",
    onUnchanged: () => unchanged++,
    readCache: (_apiVersion, _kind, namespace, name) => ({ object: cache.get(`${namespace}/${name}`) }),
  });
  // The server's answer, with what the API server adds (uid, defaults), is what the cache then holds.
  const live = await hashing.apply(child(), { owner: owner("new-uid") });
  assert.match(live.metadata?.annotations?.["test/applied-hash"] ?? "", /^sha256:/);
  cache.set("ns/g1-config", { ...structuredClone(live), metadata: { ...structuredClone(live.metadata), uid: "c1", resourceVersion: "7" } });
  assert.deepEqual(rest.requests, [`POST ${collection}`]);

  const again = await hashing.apply(child(), { owner: owner("new-uid") });
  assert.deepEqual(rest.requests, [`POST ${collection}`], "nothing sent");
  assert.equal(unchanged, 1);
  assert.equal(again.metadata?.resourceVersion, "7", "the cached object is returned");
  assert.equal(again, cache.get("ns/g1-config"), "itself, read-only as every cache read, not a copy (copying was a tenth of the operator's CPU)");

  // Someone edited a declared field by hand: the apply puts it back.
  cache.set("ns/g1-config", { ...structuredClone(cache.get("ns/g1-config")!), data: { a: "edited" } } as KubernetesObject);
  await hashing.apply(child(), { owner: owner("new-uid") });
  assert.equal(rest.requests.length, 2, "drift: applied");

  // A field declared before and dropped now: the live object still holds everything declared, only the hash tells.
  const withExtra = { ...child(), data: { a: "1", b: "2" } };
  cache.set("ns/g1-config", (await hashing.apply(withExtra, { owner: owner("new-uid") })) as KubernetesObject);
  assert.equal(rest.requests.length, 3);
  await hashing.apply(child(), { owner: owner("new-uid") });
  assert.equal(rest.requests.length, 4, "a dropped field: applied");

  // Another owner: not unchanged, so the owner check runs, and refuses the foreign controller.
  await assert.rejects(hashing.apply(child(), { owner: owner("newer-uid") }), AlreadyOwnedError);
  assert.equal(rest.requests.length, 4);
});

test("every apply carries the managed-by label with the manager's name (the owned kinds' informers select on it)", async () => {
  const rest = new FakeRest();
  const labelled = new ObjectWriter({ rest: rest as unknown as KubeRest, fieldManager: "test", managedBy: "gadget-operator" });
  await labelled.apply({ ...child(), metadata: { ...child().metadata, labels: { "app.kubernetes.io/managed-by": "someone", app: "g1" } } });
  assert.deepEqual(rest.objects.get(path)?.metadata?.labels, { app: "g1", [MANAGED_BY_LABEL]: "gadget-operator" });
});

describe("an object this manager did not make is never adopted", () => {
  const managed = (rest: FakeRest, cache?: Map<string, KubernetesObject>): ObjectWriter =>
    new ObjectWriter({
      rest: rest as unknown as KubeRest,
      fieldManager: "gadget-operator",
      managedBy: "gadget-operator",
      appliedHashAnnotation: "gadget-operator/applied-hash",
      // As the manager's: a label-selected cache answers "not cached" for a miss, so the writer asks the API server.
      readCache:
        cache === undefined
          ? undefined
          : (_apiVersion, _kind, namespace, name) => {
              const object = cache.get(`${namespace}/${name}`);
              return object === undefined ? undefined : { object };
            },
    });
  const theirs = (labels?: Record<string, string>): KubernetesObject =>
    ({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "g1-config", namespace: "ns", uid: "theirs", resourceVersion: "3", ...(labels === undefined ? {} : { labels }) },
      data: { a: "their value" },
    }) as KubernetesObject;

  const cases: [string, Record<string, string> | undefined][] = [
    ["no labels", undefined],
    ["other labels", { app: "g1" }],
    ["another manager's label", { [MANAGED_BY_LABEL]: "helm" }],
  ];
  for (const [what, labels] of cases) {
    test(`with ${what}: refused, naming the object and the label, with or without an owner, and nothing is sent`, async () => {
      for (const options of [{}, { owner: owner("new-uid") }]) {
        const rest = new FakeRest();
        rest.objects.set(path, theirs(labels));
        const error = await managed(rest)
          .apply(child(), options)
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        assert.ok(error instanceof NotManagedError, `expected NotManagedError, got ${String(error)}`);
        assert.equal(error.reason, "AdoptionRefused");
        assert.match(error.message, /ConfigMap ns\/g1-config exists and was not made by gadget-operator/);
        assert.match(error.message, /app\.kubernetes\.io\/managed-by=gadget-operator/);
        assert.match(error.message, /left unchanged/);
        assert.deepEqual(error.reference, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "g1-config", namespace: "ns" } });
        assert.deepEqual(rest.requests, [`GET ${path}`], "read, never patched");
        assert.deepEqual(rest.objects.get(path), theirs(labels));
      }
    });
  }

  test("the reconcile context watches a refused object by name, so that its removal or hand-over re-queues the resource at once", async () => {
    const rest = new FakeRest();
    rest.objects.set(path, theirs());
    const { ctx, watched } = watchingContext(managed(rest));
    await assert.rejects(ctx.apply(child()), NotManagedError);
    assert.deepEqual(watched, [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "g1-config", namespace: "ns" } }]);
  });

  test("a cache miss is not proof of absence: the API server is asked, and an absent object is created (POST) with the label", async () => {
    const rest = new FakeRest();
    await managed(rest, new Map()).apply(child(), { owner: owner("new-uid") });
    assert.deepEqual(rest.requests, [`GET ${path}`, `POST ${collection}`]);
    assert.equal(rest.objects.get(path)?.metadata?.labels?.[MANAGED_BY_LABEL], "gadget-operator");
  });

  test("told the object is absent (the caller just read it), apply creates it without a look-up; one made since is refused, not taken over", async () => {
    const rest = new FakeRest();
    await managed(rest).apply(child(), { owner: owner("new-uid"), absent: true });
    assert.deepEqual(rest.requests, [`POST ${collection}`]);
    assert.equal(rest.objects.get(path)?.metadata?.labels?.[MANAGED_BY_LABEL], "gadget-operator");
    const raced = new FakeRest();
    raced.objects.set(path, theirs());
    await assert.rejects(managed(raced).apply(child(), { owner: owner("new-uid"), absent: true }), NotManagedError);
    assert.deepEqual(raced.requests, [`POST ${collection}`, `GET ${path}`], "the create failed, the object was read, never patched");
    assert.deepEqual(raced.objects.get(path), theirs());
  });

  test("one it made (labelled, cached) is applied without a GET; labelled by hand, it is handed over", async () => {
    const rest = new FakeRest();
    const cache = new Map<string, KubernetesObject>([["ns/g1-config", theirs({ [MANAGED_BY_LABEL]: "gadget-operator" })]]);
    await managed(rest, cache).apply(child(), { owner: owner("new-uid") });
    assert.deepEqual(rest.requests, [`PATCH ${path}`]);
    const handedOver = new FakeRest();
    handedOver.objects.set(path, theirs({ [MANAGED_BY_LABEL]: "gadget-operator" }));
    await managed(handedOver).apply(child(), { owner: owner("new-uid") });
    assert.deepEqual(handedOver.requests, [`GET ${path}`, `PATCH ${path}`]);
  });

  test("applyAll: when one of the objects is someone else's, none is sent (a server is not made to mount a user's claim)", async () => {
    const rest = new FakeRest();
    const otherPath = "/api/v1/namespaces/ns/configmaps/g1-scripts";
    rest.objects.set(otherPath, { ...theirs(), metadata: { ...theirs().metadata, name: "g1-scripts" } });
    const scripts = { ...child(), metadata: { name: "g1-scripts", namespace: "ns" } };
    const error = await managed(rest)
      .applyAll([child(), scripts], { owner: owner("new-uid") })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(error instanceof NotManagedError, `expected NotManagedError, got ${String(error)}`);
    assert.match(error.message, /^ConfigMap ns\/g1-scripts exists/);
    assert.deepEqual(rest.requests.toSorted(), [`GET ${path}`, `GET ${otherPath}`], "both looked up, neither patched");
    assert.equal(rest.objects.has(path), false);
  });

  /** A FakeRest where `theirs` appears right after the writer's GET found its path empty: the race of a read and a write. */
  const racing = (made: KubernetesObject): FakeRest => {
    const rest = new FakeRest();
    const get = rest.get.bind(rest);
    rest.get = async <T>(target: string): Promise<T> => {
      try {
        return await get<T>(target);
      } catch (error) {
        if (target === path && !rest.objects.has(path)) rest.objects.set(path, made);
        throw error;
      }
    };
    return rest;
  };

  test("an object made by someone else between the look-up and the write is refused (the create fails), not taken over", async () => {
    const rest = racing(theirs());
    const { ctx, watched } = watchingContext(managed(rest));
    const error = await ctx.apply(child(), { owner: owner("new-uid") }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof NotManagedError, `expected NotManagedError, got ${String(error)}`);
    assert.match(error.message, /^ConfigMap ns\/g1-config exists and was not made by gadget-operator/);
    assert.deepEqual(rest.requests, [`GET ${path}`, `POST ${collection}`, `GET ${path}`], "looked up, create refused, read again; never patched");
    assert.deepEqual(rest.objects.get(path), theirs());
    assert.deepEqual(watched, [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "g1-config", namespace: "ns" } }]);
  });

  test("one made between the look-up and the write that is ours after all (labelled) is applied", async () => {
    const rest = racing(theirs({ [MANAGED_BY_LABEL]: "gadget-operator" }));
    await managed(rest).apply(child(), { owner: owner("new-uid") });
    assert.deepEqual(rest.requests, [`GET ${path}`, `POST ${collection}`, `GET ${path}`, `PATCH ${path}`]);
    assert.equal((rest.objects.get(path) as { data?: Record<string, string> }).data?.a, "1");
  });

  test("applyAll: every refused object is named and watched, not only the first", async () => {
    const rest = new FakeRest();
    const scriptsPath = `${collection}/g1-scripts`;
    rest.objects.set(path, theirs());
    rest.objects.set(scriptsPath, { ...theirs(), metadata: { ...theirs().metadata, name: "g1-scripts" } });
    const { ctx, watched } = watchingContext(managed(rest));
    const scripts = { ...child(), metadata: { name: "g1-scripts", namespace: "ns" } };
    const error = await ctx.applyAll([child(), scripts], { owner: owner("new-uid") }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof NotManagedError, `expected NotManagedError, got ${String(error)}`);
    assert.match(error.message, /^ConfigMap ns\/g1-config exists and was not made by gadget-operator/);
    assert.match(error.message, /Refused in the same step as well: ConfigMap ns\/g1-scripts \(AdoptionRefused\)$/);
    assert.deepEqual(
      error.all.map((refusal) => refusal.object),
      ["ConfigMap ns/g1-config", "ConfigMap ns/g1-scripts"],
    );
    assert.deepEqual(
      watched.map((object) => object.metadata.name),
      ["g1-config", "g1-scripts"],
    );
    assert.deepEqual(rest.requests.toSorted(), [`GET ${path}`, `GET ${scriptsPath}`], "neither written");
  });

  /** An object that runs pods (a pod template), as a Deployment or Job is: it may mount the objects created before it. */
  const podRunner = (name: string): KubernetesObject =>
    ({ ...child(), metadata: { name, namespace: "ns" }, spec: { template: { spec: { containers: [{ name: "c", image: "i" }] } } } }) as KubernetesObject;

  test("applyAll creates the absent objects that run no pods at once, and one that runs pods only after them", async () => {
    const rest = new FakeRest();
    const send = rest.send.bind(rest);
    const trace: string[] = [];
    let scriptsSent: () => void = () => {};
    const scriptsSeen = new Promise<void>((resolve) => (scriptsSent = resolve));
    rest.send = async <T>(method: string, target: string, options: { body?: unknown } = {}) => {
      const name = (options.body as KubernetesObject | undefined)?.metadata?.name;
      if (method !== "GET") trace.push(`${method} ${name ?? target}`);
      if (name === "g1-scripts") scriptsSent();
      // The first create is answered only once the second was sent (bounded: a writer that waits for it fails the test).
      if (name === "g1-config") await Promise.race([scriptsSeen, new Promise((resolve) => setTimeout(resolve, 2000))]);
      const answer = await send<T>(method, target, options);
      if (method !== "GET") trace.push(`answered ${name ?? target}`);
      return answer;
    };
    const scripts = { ...child(), metadata: { name: "g1-scripts", namespace: "ns" } };
    await managed(rest, new Map()).applyAll([child(), scripts, podRunner("g1-server")], { owner: owner("new-uid") });
    assert.deepEqual(trace.slice(0, 2), ["POST g1-config", "POST g1-scripts"], "the two created at once");
    assert.deepEqual(trace.slice(-2), ["POST g1-server", "answered g1-server"], "the one that runs pods after both were answered");
  });

  test("applyAll creates a claim that names its volume only after the absent objects before it (the volume), and not after a refusal", async () => {
    const rest = new FakeRest();
    const send = rest.send.bind(rest);
    const trace: string[] = [];
    rest.send = async <T>(method: string, target: string, options: { body?: unknown } = {}) => {
      const name = (options.body as KubernetesObject | undefined)?.metadata?.name;
      if (method !== "GET") trace.push(`${method} ${name ?? target}`);
      // The volume's create is answered late: a claim sent at once would be sent before it was answered.
      if (name === "g1-pv") await new Promise((resolve) => setTimeout(resolve, 50));
      const answer = await send<T>(method, target, options);
      if (method !== "GET") trace.push(`answered ${name ?? target}`);
      return answer;
    };
    const volume = { apiVersion: "v1", kind: "PersistentVolume", metadata: { name: "g1-pv" } } as KubernetesObject;
    const claim = (volumeName: string): KubernetesObject =>
      ({
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name: `g1-pvc-${volumeName || "any"}`, namespace: "ns" },
        spec: { volumeName },
      }) as KubernetesObject;
    await managed(rest, new Map()).applyAll([volume, claim(""), claim("g1-pv")], { owner: owner("new-uid") });
    assert.deepEqual(trace.slice(0, 2), ["POST g1-pv", "POST g1-pvc-any"], "a claim naming no volume is created at once");
    assert.deepEqual(trace.slice(-2), ["POST g1-pvc-g1-pv", "answered g1-pvc-g1-pv"], "the claim naming its volume after the volume was answered");

    const refusing = racing(theirs());
    const named = { ...claim("g1-pv"), metadata: { name: "g1-data", namespace: "ns" } } as KubernetesObject;
    await assert.rejects(managed(refusing).applyAll([child(), named], { owner: owner("new-uid") }), NotManagedError);
    assert.equal(refusing.objects.has(`${collection}/g1-data`), false, "the claim after the refused object was not created");
  });

  test("applyAll creates absent objects in order and stops at one made by someone else meanwhile: what runs pods after it is not created", async () => {
    const rest = racing(theirs());
    const server = podRunner("g1-server");
    await assert.rejects(managed(rest).applyAll([child(), server], { owner: owner("new-uid") }), NotManagedError);
    assert.equal(rest.objects.has(`${collection}/g1-server`), false, "the object after the refused one was not created");
    assert.deepEqual(rest.objects.get(path), theirs());
  });

  test("applyAll: an object the caller found absent is created without a look-up of its own; the others are looked up", async () => {
    const rest = new FakeRest();
    const known = child();
    const server = { ...child(), metadata: { name: "g1-server", namespace: "ns" } };
    await managed(rest).applyAll([known, server], { owner: owner("new-uid"), absent: [known] });
    assert.deepEqual(rest.requests, [`GET ${collection}/g1-server`, `POST ${collection}`, `POST ${collection}`]);
  });

  test("applyAll: one found absent by the caller but made by someone else since is refused all the same, and left as it was", async () => {
    const rest = new FakeRest();
    rest.objects.set(path, theirs());
    const known = child();
    await assert.rejects(managed(rest).applyAll([known], { owner: owner("new-uid"), absent: [known] }), NotManagedError);
    assert.deepEqual(rest.requests, [`POST ${collection}`, `GET ${path}`], "created without a look-up, refused on the 409");
    assert.deepEqual(rest.objects.get(path), theirs());
  });

  test("an object this writer created (POST, as MANAGER-create) has those fields handed to its applies before the first apply that changes it, once", async () => {
    const rest = new FakeRest();
    const bodies: { method: string; contentType?: string; body?: unknown; query?: unknown }[] = [];
    const send = rest.send.bind(rest);
    rest.send = async <T>(method: string, target: string, options: { body?: unknown; contentType?: string; query?: unknown } = {}) => {
      if (method !== "GET") bodies.push({ method, contentType: options.contentType, body: options.body, query: options.query });
      return send<T>(method, target, options);
    };
    await managed(rest).apply(child(), { owner: owner("new-uid") });
    assert.deepEqual(bodies[0]?.query, { fieldManager: "gadget-operator-create" });
    const created = {
      manager: "gadget-operator-create",
      operation: "Update",
      apiVersion: "v1",
      fieldsType: "FieldsV1",
      fieldsV1: { "f:data": { ".": {}, "f:a": {} } },
    };
    const finalizers = {
      manager: "gadget-operator",
      operation: "Update",
      apiVersion: "v1",
      fieldsType: "FieldsV1",
      fieldsV1: { "f:metadata": { "f:finalizers": {} } },
    };
    const live = rest.objects.get(path)!;
    rest.objects.set(path, { ...live, metadata: { ...live.metadata, resourceVersion: "5", managedFields: [created, finalizers] } } as KubernetesObject);
    // The cache keeps who wrote how, not the field sets.
    const cache = new Map([
      ["ns/g1-config", { ...live, metadata: { ...live.metadata, managedFields: [{ manager: "gadget-operator-create", operation: "Update" }] } }],
    ]);
    bodies.length = 0;
    rest.requests.length = 0;
    await managed(rest, cache as Map<string, KubernetesObject>).apply({ ...child(), data: { b: "2" } }, { owner: owner("new-uid") });
    assert.deepEqual(rest.requests, [`GET ${path}`, `PATCH ${path}`, `PATCH ${path}`], "read, hand-over, apply");
    assert.equal(bodies[0]?.contentType, "application/merge-patch+json");
    assert.deepEqual(bodies[0]?.body, {
      metadata: { resourceVersion: "5", managedFields: [finalizers, { ...created, manager: "gadget-operator", operation: "Apply" }] },
    });
    assert.equal(bodies[1]?.contentType, "application/apply-patch+yaml");
    // Handed over: the object's entries no longer name the create manager, and the next changing apply is sent alone.
    const cachedNow = new Map([
      ["ns/g1-config", { ...live, metadata: { ...live.metadata, managedFields: [{ manager: "gadget-operator", operation: "Apply" }] } }],
    ]);
    rest.requests.length = 0;
    await managed(rest, cachedNow as Map<string, KubernetesObject>).apply({ ...child(), data: { c: "3" } }, { owner: owner("new-uid") });
    assert.deepEqual(rest.requests, [`PATCH ${path}`]);
  });

  test("applyAll: with none refused, every object is sent; a failure names its object and the others are still written", async () => {
    const rest = new FakeRest();
    const scripts = { ...child(), metadata: { name: "g1-scripts", namespace: "ns" } };
    const written = await managed(rest).applyAll([child(), scripts], { owner: owner("new-uid") });
    assert.deepEqual(
      written.map((object) => object.metadata?.name),
      ["g1-config", "g1-scripts"],
    );
    const failing = new FakeRest();
    const send = failing.send.bind(failing);
    failing.send = async <T>(method: string, target: string, options: { body?: unknown } = {}) => {
      if (method === "POST" && (options.body as KubernetesObject).metadata?.name === "g1-config") throw new KubeApiError(422, "invalid", { reason: "Invalid" });
      return send<T>(method, target, options);
    };
    await assert.rejects(managed(failing).applyAll([child(), scripts], { owner: owner("new-uid") }), /apply ConfigMap ns\/g1-config: invalid/);
    assert.ok(failing.objects.has("/api/v1/namespaces/ns/configmaps/g1-scripts"), "the other object was written");
  });
});

test("the unchanged check of the very object applied again is remembered per cached object (the informer replaces, never changes, what it caches)", async () => {
  const rest = new FakeRest();
  const cache = new Map<string, KubernetesObject>();
  const hashing = new ObjectWriter({
    rest: rest as unknown as KubeRest,
    fieldManager: "test",
    appliedHashAnnotation: "test/applied-hash",
    readCache: (_apiVersion, _kind, namespace, name) => ({ object: cache.get(`${namespace}/${name}`) }),
  });
  const desired = child();
  cache.set("ns/g1-config", structuredClone(await hashing.apply(desired, { owner: owner("new-uid") })));
  await hashing.apply(desired, { owner: owner("new-uid") });
  assert.equal(rest.requests.length, 1, "unchanged: not sent");
  // Changed in place, as the informer never does: the remembered verdict stands.
  (cache.get("ns/g1-config") as { data?: Record<string, string> }).data = { a: "edited" };
  await hashing.apply(desired, { owner: owner("new-uid") });
  assert.equal(rest.requests.length, 1, "the same cached object: checked once");
  // Replaced, as the informer does on every change: checked again, and the drift put back.
  cache.set("ns/g1-config", { ...structuredClone(cache.get("ns/g1-config")!) });
  await hashing.apply(desired, { owner: owner("new-uid") });
  assert.equal(rest.requests.length, 2, "a new cached object: checked, drift applied");
});
