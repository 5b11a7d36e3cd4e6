/** One frozen copy of each repeated part of cached objects: nothing changes in what a reader sees, equal parts are one. */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { KubernetesObject, V1Deployment } from "@kubernetes/client-node";
import { sharedLookupCount, sharedSubtreeCount, shareSubtrees } from "../../src/runtime/shared-subtrees.ts";
import { instanceOf } from "../../src/mysql/instance.ts";
import { buildBackupClaim, buildBackupVolume, buildCredentialsSecret, buildDataVolume, desiredChildren } from "../../src/mysql/desired/index.ts";
import type { MySQL } from "../../generated/mysql-models.ts";

/** The children one MySQL resource has, as the API server answers them (with what the writer and the server add). */
function children(name: string, uid: string): KubernetesObject[] {
  const resource = {
    apiVersion: "otus.homework/v1",
    kind: "MySQL",
    metadata: { name, namespace: "bench", uid, generation: 1 },
    spec: { image: "mysql:5.7", database: "otus-database", password: "otuspassword", storage_size: "1Gi" },
    status: { storage: { mode: "HostPath", node: "node-1" } },
  } as unknown as MySQL;
  const instance = instanceOf(resource);
  const built = [
    ...desiredChildren(instance),
    buildDataVolume(instance),
    buildCredentialsSecret(instance, "secret"),
    buildBackupVolume(instance),
    buildBackupClaim(instance),
  ];
  return built.map((object, i) => {
    const answered = structuredClone(object) as KubernetesObject & { status?: unknown };
    const metadata = {
      ...answered.metadata,
      uid: `${uid}-${i}`,
      resourceVersion: String(100 + i),
      // A timestamp as JSON carries it (the cache holds parsed JSON, not client-node's Date).
      creationTimestamp: "2026-11-29T10:00:00Z" as unknown as Date,
      managedFields: [{ manager: "mysqlop", operation: "Apply" }],
    };
    answered.metadata = metadata;
    // The writer makes the resource the controller of its namespaced children.
    if (metadata.namespace !== undefined)
      metadata.ownerReferences ??= [{ apiVersion: resource.apiVersion, kind: resource.kind, name, uid, controller: true, blockOwnerDeletion: true }];
    if (object.kind === "Deployment") answered.status = { conditions: [{ type: "Available", status: "False", reason: "MinimumReplicasUnavailable" }] };
    return answered;
  });
}

test("shareSubtrees: every field survives unchanged, for each kind of child the operator makes", () => {
  for (const object of children("mysql-a", "uid-a")) {
    const before = structuredClone(object);
    const after = shareSubtrees(object);
    assert.equal(after, object, "the same object, changed in place");
    assert.deepEqual(after, before, `${object.kind}: what a reader sees is what was parsed`);
  }
});

test("shareSubtrees: equal parts of two resources' children are one frozen object; the top level and metadata stay the object's own", () => {
  const [a, b] = [children("mysql-a", "uid-a"), children("mysql-b", "uid-b")].map((list) => list.map((object) => shareSubtrees(object)));
  const deployment = (list: KubernetesObject[] | undefined): V1Deployment => list?.find((o) => o.kind === "Deployment") as V1Deployment;
  const [da, db] = [deployment(a), deployment(b)];
  const probe = (d: V1Deployment): unknown => d.spec?.template.spec?.containers[0]?.readinessProbe;
  assert.ok(probe(da) !== undefined);
  assert.equal(probe(da), probe(db), "the same probe of two Deployments is one object");
  assert.ok(Object.isFrozen(probe(da)), "and frozen");
  assert.equal(da.metadata?.managedFields, db.metadata?.managedFields, "equal managedFields are one list");
  assert.notEqual(da.metadata?.labels, db.metadata?.labels, "labels naming different resources stay apart");
  assert.notEqual(da.metadata, db.metadata);
  assert.ok(!Object.isFrozen(da) && !Object.isFrozen(da.metadata), "the informer may still set a listed item's kind");
  // The children of one resource carry the same owner reference: one copy (a Secret is left alone, below).
  const owners = (a ?? [])
    .filter((o) => o.kind !== "Secret")
    .map((o) => o.metadata?.ownerReferences)
    .filter((r) => r !== undefined);
  assert.ok(owners.length >= 4, `owner references: ${owners.length}`);
  assert.ok(
    owners.every((r) => r === owners[0]),
    "one owner reference list for a resource's children",
  );
  assert.throws(
    () => {
      (probe(da) as { periodSeconds: number }).periodSeconds = 1;
    },
    TypeError,
    "changing a shared part in place fails instead of changing every Deployment",
  );
});

test("shareSubtrees: a Secret is left as it is: its values (passwords) are not kept in the process-wide tables, where they would outlive a rotation or the Secret", () => {
  const secret = (): KubernetesObject & { data: Record<string, string> } => ({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "s", namespace: "n", labels: { a: "b" } },
    data: { password: Buffer.from("otuspassword").toString("base64") },
  });
  const [one, two] = [shareSubtrees(secret()), shareSubtrees(secret())];
  assert.notEqual(one.data, two.data, "no shared copy of the data");
  assert.ok(!Object.isFrozen(one.data) && !Object.isFrozen(one.metadata?.labels), "nothing of it frozen (nothing of it shared)");
});

test("shareSubtrees: beside a value too long to be looked up, equal parts are still one; the part holding it stays the object's own", () => {
  const long = "x".repeat(10_000);
  const make = (): KubernetesObject & { spec: { a: { long: string; probe: { port: number; path: string } }; b: { port: number; path: string } } } => ({
    apiVersion: "example.com/v1",
    kind: "Thing",
    metadata: { name: "t" },
    spec: { a: { long: (" " + long).slice(1), probe: { port: 8080, path: "/healthz" } }, b: { port: 8080, path: "/healthz" } },
  });
  const [one, two] = [shareSubtrees(make()), shareSubtrees(make())];
  assert.deepEqual(one, make(), "what a reader sees is what was parsed");
  assert.equal(one.spec.a.probe, two.spec.b, "an equal part, wherever it is, is one object");
  assert.equal(one.spec.a.probe, two.spec.a.probe);
  assert.notEqual(one.spec.a, two.spec.a, "a part holding the long value is not looked up");
  assert.notEqual(one.spec, two.spec);
  assert.ok(!Object.isFrozen(one.spec.a) && !Object.isFrozen(one.spec));
});

test("shareSubtrees: a part is looked up while its JSON text is at most 4 096 characters long, counted exactly; equal parts of any depth are one, unequal ones never", () => {
  // The JSON of `part(n)` with `n` x's; escapes, keys, commas, nesting and a list count as the text would.
  const part = (n: number) => ({ note: `"q"\n${"x".repeat(n)}`, nested: { list: [1, "two", null, true, { deep: [[]] }], empty: {} } });
  const overhead = JSON.stringify(part(0)).length;
  const thing = (n: number, name: string) => ({ apiVersion: "example.com/v1", kind: "Thing", metadata: { name }, spec: { part: part(n) } });
  const [atLimit, atLimitToo] = [shareSubtrees(thing(4096 - overhead, "a")), shareSubtrees(thing(4096 - overhead, "b"))];
  assert.equal(JSON.stringify(atLimit.spec.part).length, 4096);
  assert.equal(atLimit.spec.part, atLimitToo.spec.part, "4 096 characters: looked up, one object");
  const [over, overToo] = [shareSubtrees(thing(4097 - overhead, "c")), shareSubtrees(thing(4097 - overhead, "d"))];
  assert.notEqual(over.spec.part, overToo.spec.part, "4 097 characters: not looked up");
  assert.equal(over.spec.part.nested, overToo.spec.part.nested, "its parts still are");
  assert.equal(over.spec.part.nested, atLimit.spec.part.nested);
  // Values that differ only deep down, or only in how a level is split, are never taken for each other.
  const variants = [
    { a: [["b"]] },
    { a: [["c"]] },
    { a: ["b"] },
    { a: [["b"], []] },
    { a: { "0": ["b"] } },
    { a: '[["b"]]' },
    { "a:": [["b"]] },
    { a: [[1]] },
    { a: [["1"]] },
  ];
  const shared = variants.map((v, i) => shareSubtrees({ apiVersion: "v1", kind: "Thing", metadata: { name: `v${i}` }, spec: structuredClone(v) }).spec);
  assert.deepEqual(shared, variants, "what a reader sees is what was parsed");
  assert.equal(new Set(shared).size, variants.length, "no two unequal parts are one");
  const again = variants.map((v, i) => shareSubtrees({ apiVersion: "v1", kind: "Thing", metadata: { name: `w${i}` }, spec: structuredClone(v) }).spec);
  again.forEach((spec, i) => assert.equal(spec, shared[i], `equal parts are one: ${JSON.stringify(variants[i])}`));
});

test("shareSubtrees with the version held so far: its shared parts are taken where equal, changed parts are the new version's", () => {
  const [first] = children("mysql-p", "uid-p").filter((o) => o.kind === "Deployment") as V1Deployment[];
  const held = shareSubtrees(structuredClone(first) as V1Deployment);
  // The next version: the status changed, a label was added, the rest is as before (a fresh parse: other objects).
  const next = structuredClone(first) as V1Deployment;
  next.status = { replicas: 1, readyReplicas: 1 };
  next.metadata = { ...next.metadata, resourceVersion: "200", labels: { ...next.metadata?.labels, extra: "yes" } };
  const expected = structuredClone(next);
  const after = shareSubtrees(next, held);
  assert.deepEqual(after, expected, "what a reader sees is what was parsed");
  assert.equal(after.spec, held.spec, "the unchanged spec is the held one");
  assert.equal(after.metadata?.ownerReferences, held.metadata?.ownerReferences);
  assert.notEqual(after.metadata?.labels, held.metadata?.labels, "the changed labels are the new version's");
  assert.deepEqual(held.metadata?.labels, first?.metadata?.labels, "and the held version keeps its own");
  assert.notEqual(after.status, held.status);
  assert.ok(Object.isFrozen(after.status), "a changed part is shared as any other");
  // Equal but in another key order: not taken (a reader sees the order the server sent).
  const reordered = structuredClone(first) as V1Deployment;
  const spec = reordered.spec as unknown as Record<string, unknown>;
  reordered.spec = Object.fromEntries(
    Object.keys(spec)
      .reverse()
      .map((k) => [k, spec[k]]),
  ) as unknown as V1Deployment["spec"];
  const keys = Object.keys(reordered.spec ?? {});
  assert.notEqual(shareSubtrees(reordered, held).spec, held.spec);
  assert.deepEqual(Object.keys(reordered.spec ?? {}), keys);
});

test("shareSubtrees: a part taken from the version held so far stays remembered, so a new object's equal part is still one with it after many other parts came through", () => {
  const spec = (): object => ({ replicas: 1, template: { spec: { containers: [{ name: "mysql", image: "mysql:5.7", ports: [{ containerPort: 3306 }] }] } } });
  let held = shareSubtrees({ kind: "Deployment", metadata: { name: "a" }, spec: spec(), status: { observed: -1 } });
  // More distinct parts than the table holds, each event taking the spec from the version before it.
  for (let i = 0; i < 9_000; i++) held = shareSubtrees({ kind: "Deployment", metadata: { name: "a" }, spec: spec(), status: { observed: i } }, held);
  const other = shareSubtrees({ kind: "Deployment", metadata: { name: "b" }, spec: spec(), status: { observed: 0 } });
  assert.equal(other.spec, held.spec, "the second Deployment's spec is the first one's");
});

test("shareSubtrees: the table knows a key only for the parts it remembers, however many parts the caches still hold", () => {
  // Parts of one object only (a claim reference, a condition with its time), held by a cache: 20 000 of them, more than
  // twice what the table remembers. A key kept for each (about 4 MB of heap with 1 000 resources in bench:operator) is not.
  const held: object[] = [];
  for (let i = 0; i < 20_000; i++)
    held.push(shareSubtrees({ kind: "PersistentVolume", metadata: { name: `pv-${i}` }, spec: { claimRef: { name: `claim-${i}`, uid: `uid-${i}` } } }));
  const { remembered, keys, consistent } = sharedSubtreeCount();
  assert.equal(remembered, 8_192, "the table is full: parts were forgotten");
  assert.equal(keys, remembered, "a key for each remembered part, none for the forgotten ones");
  assert.ok(consistent, "each key is the one its part is remembered under");
  assert.equal(held.length, 20_000, "the parts are still held (by the caches, here by this list)");
});

test("shareSubtrees with another object of the kind as the one held: its equal parts at any depth are taken, what differs is the new object's, and equal parts are still one with those of objects shared without it", () => {
  const deployments = (name: string): V1Deployment => children(name, `uid-${name}`).find((o) => o.kind === "Deployment") as V1Deployment;
  const template = shareSubtrees(deployments("mysql-t"));
  let lookups = sharedLookupCount();
  const alone = shareSubtrees(deployments("mysql-u"));
  const lookupsAlone = sharedLookupCount() - lookups;
  const parsed = deployments("mysql-v");
  const expected = structuredClone(parsed);
  lookups = sharedLookupCount();
  const next = shareSubtrees(parsed, template);
  const lookupsWithTemplate = sharedLookupCount() - lookups;
  assert.ok(lookupsWithTemplate * 4 < lookupsAlone, `parts serialised and hashed: ${lookupsWithTemplate} with the template, ${lookupsAlone} without`);
  assert.deepEqual(next, expected, "what a reader sees is what was parsed");
  assert.equal(JSON.stringify(next), JSON.stringify(expected), "in the order parsed");
  const container = (d: V1Deployment) => d.spec?.template.spec?.containers[0];
  assert.equal(container(next)?.readinessProbe, container(template)?.readinessProbe, "a probe deep in the spec is the one held");
  assert.equal(container(next)?.readinessProbe, container(alone)?.readinessProbe, "and the one shared without a template");
  assert.ok(Object.isFrozen(container(next)?.readinessProbe));
  // The spec names this resource (its selector, its claims): not the template's, and not frozen (it holds parts taken
  // as they are, which are not looked up).
  assert.notEqual(next.spec, template.spec);
  assert.ok(!Object.isFrozen(next.spec));
  assert.notDeepEqual(next.spec?.selector, template.spec?.selector);
  // Owner references name this resource: looked up as without a template, one list for all of a resource's children.
  const ownerOf = (list: KubernetesObject[]) => list.filter((o) => o.kind !== "Secret").map((o) => o.metadata?.ownerReferences);
  const same = children("mysql-v", "uid-mysql-v").filter((o) => o.kind !== "Secret");
  const withTemplate = same.map((o) => shareSubtrees(o, o.kind === "Deployment" ? template : undefined));
  const owners = ownerOf(withTemplate).filter((r) => r !== undefined);
  assert.ok(owners.length >= 4 && owners.every((r) => r === owners[0]), "one owner reference list for the resource's children");
  assert.ok(Object.isFrozen(owners[0]));
  // A change deep in an otherwise equal part: the changed value is the new object's, its equal neighbours the held ones.
  const changed = deployments("mysql-t");
  const probe = container(changed)?.readinessProbe as unknown as { periodSeconds: number };
  probe.periodSeconds += 1;
  const after = shareSubtrees(changed, template);
  assert.equal((container(after)?.readinessProbe as unknown as { periodSeconds: number }).periodSeconds, probe.periodSeconds);
  assert.notEqual(container(after)?.readinessProbe, container(template)?.readinessProbe);
  assert.ok(container(template)?.livenessProbe !== undefined);
  assert.equal(container(after)?.livenessProbe, container(template)?.livenessProbe);
});
