/**
 * The schema-independent half of change detection: fingerprints (canonical JSON, HMAC for
 * secrets), decoding what was applied, and the dispatch of changes by policy (hook, rollout,
 * immutable) that generated base classes used to carry as emitted strings.
 */
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { test } from "node:test";
import type { KubernetesObject } from "@kubernetes/client-node";
import {
  appliedValue,
  canonicalJson,
  FIELD_IMMUTABLE_REASON,
  fingerprintSpec,
  ResourceReconciler,
  type ChangeHooks,
  type CustomResource,
  type FieldChange,
  type HookResult,
  type ReconcileContext,
  type ResourceType,
  type SpecFieldInfo,
  type StandardStatus,
} from "../../src/runtime/index.ts";

interface Spec {
  size: string;
  labels?: Record<string, string>;
  zone?: string;
  token?: string;
  tags?: string[];
}
interface Status extends StandardStatus {
  note?: string;
}
type Thing = CustomResource<Spec, Status>;

const FIELDS: readonly SpecFieldInfo[] = [
  { name: "size", onChange: "hook" },
  { name: "labels", onChange: "rollout" },
  { name: "zone", onChange: "immutable" },
  { name: "token", onChange: "hook", sensitive: true },
  { name: "tags", onChange: "hook" },
];

function thing(spec: Spec, appliedSpec?: Record<string, string>): Thing {
  return {
    apiVersion: "example.test/v1",
    kind: "Thing",
    metadata: { name: "t", namespace: "ns", uid: "uid-1" },
    spec,
    ...(appliedSpec === undefined ? {} : { status: { appliedSpec } }),
  };
}

/** Records every hook call; `results` says what a hook returns (done by default). */
class ThingReconciler extends ResourceReconciler<Thing> {
  readonly resourceType: ResourceType = { group: "example.test", version: "v1", plural: "things", kind: "Thing", namespaced: true };
  readonly finalizer = "example.test/f";
  protected override readonly specFields = FIELDS;
  readonly calls: string[] = [];
  readonly results: Record<string, HookResult<Status>> = {};

  desired(): KubernetesObject[] {
    return [];
  }
  async onCreate(): Promise<HookResult<Status>> {
    return this.done();
  }
  async finalize(): Promise<HookResult<Status>> {
    return this.done();
  }
  protected override changeHooks(): ChangeHooks<Thing> {
    const hook =
      (name: string) =>
      async (_resource: Thing, change: FieldChange<unknown>): Promise<HookResult<Status>> => {
        this.calls.push(`${name} ${JSON.stringify(change.previous ?? null)}→${JSON.stringify(change.current ?? null)}`);
        return this.results[name] ?? this.done(`${name} done`, { note: name });
      };
    return { size: hook("size"), token: hook("token"), tags: hook("tags") };
  }
  dispatch(resource: Thing, previous: Record<string, string>): Promise<HookResult<Status>> {
    return this.dispatchChanges(resource, previous, {} as ReconcileContext);
  }
}

test("canonicalJson sorts object keys at every depth, keeps array order", () => {
  const table: [unknown, string][] = [
    ["1Gi", '"1Gi"'],
    [{ b: 1, a: { d: 2, c: 3 } }, '{"a":{"c":3,"d":2},"b":1}'],
    [["z", "a"], '["z","a"]'],
    [null, "null"],
  ];
  for (const [given, want] of table) assert.equal(canonicalJson(given), want);
});

test("fingerprintSpec: canonical JSON per present field; a sensitive field only as an HMAC keyed by the uid", () => {
  const fingerprints = fingerprintSpec(thing({ size: "1Gi", labels: { b: "2", a: "1" }, token: "s3cret" }), FIELDS);
  assert.deepEqual(Object.keys(fingerprints), ["size", "labels", "token"], "absent fields have no fingerprint");
  assert.equal(fingerprints.labels, '{"a":"1","b":"2"}');
  assert.equal(fingerprints.token, `sha256:${createHmac("sha256", "uid-1").update('"s3cret"').digest("hex")}`);
  assert.ok(!JSON.stringify(fingerprints).includes("s3cret"));
  const other = fingerprintSpec({ ...thing({ size: "1Gi", token: "s3cret" }), metadata: { uid: "uid-2" } }, FIELDS);
  assert.notEqual(other.token, fingerprints.token, "equal secrets of different objects differ");
});

test("appliedValue: unknown before the first success, the decoded value after, absent means known and undefined", () => {
  assert.deepEqual(appliedValue(thing({ size: "2Gi" }), "size"), { known: false, value: undefined });
  assert.deepEqual(appliedValue(thing({ size: "2Gi" }, { size: '"1Gi"' }), "size"), { known: true, value: "1Gi" });
  assert.deepEqual(appliedValue(thing({ size: "2Gi", zone: "b" }, { size: '"1Gi"' }), "zone"), { known: true, value: undefined });
  assert.deepEqual(appliedValue(thing({ size: "2Gi" }, { size: "not json" }), "size"), { known: false, value: undefined });
});

test("dispatch: only changed fields, in schema order; a rollout field calls nothing; facts and messages gathered", async () => {
  const r = new ThingReconciler();
  const now = thing({ size: "2Gi", labels: { a: "1" }, tags: ["x"] });
  const previous = { size: '"1Gi"', labels: '{"a":"0"}', tags: '["x"]' };
  assert.deepEqual(await r.dispatch(now, previous), { kind: "done", message: "size done", status: { note: "size" } });
  assert.deepEqual(r.calls, ['size "1Gi"→"2Gi"']);
});

test("dispatch: a sensitive field's hook never sees the previous value; an added or removed field is a change", async () => {
  const r = new ThingReconciler();
  const now = thing({ size: "1Gi", token: "new", tags: ["x"] });
  await r.dispatch(now, { size: '"1Gi"', token: "sha256:old" });
  assert.deepEqual(r.calls, ['token null→"new"', 'tags null→["x"]']);
  r.calls.length = 0;
  await r.dispatch(thing({ size: "1Gi" }), { size: '"1Gi"', tags: '["x"]' });
  assert.deepEqual(r.calls, ['tags ["x"]→null']);
});

test("dispatch stops at the first hook that is not done, carrying the facts gathered so far", async () => {
  const r = new ThingReconciler();
  r.results.token = { kind: "wait", afterMs: 1000, reason: "Rotating", message: "later" };
  const result = await r.dispatch(thing({ size: "2Gi", token: "t", tags: ["y"] }), { size: '"1Gi"', tags: '["x"]' });
  assert.deepEqual(result, { kind: "wait", afterMs: 1000, reason: "Rotating", message: "later", status: { note: "size" } });
  assert.deepEqual(r.calls, ['size "1Gi"→"2Gi"', 'token null→"t"'], "tags waits for the next round");
});

test("dispatch: a change of an immutable field that got past the API server fails with FieldImmutable, naming both values; no hook", async () => {
  const r = new ThingReconciler();
  for (const [now, previous, words] of [
    [thing({ size: "1Gi", zone: "b" }), { size: '"1Gi"', zone: '"a"' }, 'from "a" to "b"'],
    [thing({ size: "1Gi", zone: "b" }), { size: '"1Gi"' }, 'from null to "b"'],
    [thing({ size: "1Gi" }), { size: '"1Gi"', zone: '"a"' }, 'from "a" to null'],
  ] as const) {
    const result = await r.dispatch(now, previous);
    assert.equal(result.kind === "failed" && result.reason, FIELD_IMMUTABLE_REASON);
    assert.match(
      result.kind === "failed" ? result.message : "",
      new RegExp(`^spec\\.zone is immutable and cannot change ${words.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}; set it back`),
    );
  }
  assert.deepEqual(r.calls, []);
});

test("a field whose policy is hook but has no hook is a programming error, not a silent skip", async () => {
  class Missing extends ThingReconciler {
    protected override changeHooks(): ChangeHooks<Thing> {
      return {};
    }
  }
  await assert.rejects(new Missing().dispatch(thing({ size: "2Gi" }), { size: '"1Gi"' }), /spec\.size has change policy "hook" but no hook/);
});
