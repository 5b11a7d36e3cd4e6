import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { KubernetesObject } from "@kubernetes/client-node";
import { appliedHash, holdsApplied } from "../../src/runtime/applied-state.ts";

test("holdsApplied: given live and desired, want whether the apply would change nothing", () => {
  const container = { name: "mysql", image: "mysql:5.7", command: ["sh", "-c", "run"] };
  const cases: { name: string; live: unknown; desired: unknown; want: boolean }[] = [
    { name: "equal scalars", live: "a", desired: "a", want: true },
    { name: "different scalars", live: "a", desired: "b", want: false },
    { name: "number is not its string", live: "1", desired: 1, want: false },
    { name: "absent field", live: {}, desired: { a: 1 }, want: false },
    { name: "extra live fields (defaults, status)", live: { a: 1, b: 2, status: { x: 1 } }, desired: { a: 1 }, want: true },
    { name: "nested difference", live: { spec: { replicas: 2 } }, desired: { spec: { replicas: 1 } }, want: false },
    { name: "scalar list, same order", live: { command: ["sh", "-c"] }, desired: { command: ["sh", "-c"] }, want: true },
    { name: "scalar list, other order", live: { command: ["-c", "sh"] }, desired: { command: ["sh", "-c"] }, want: false },
    { name: "scalar list, extra item", live: { command: ["sh", "-c", "x"] }, desired: { command: ["sh", "-c"] }, want: false },
    {
      name: "finalizers are a set others add to",
      live: { metadata: { finalizers: ["kubernetes.io/pvc-protection", "ours"] } },
      desired: { metadata: { finalizers: ["ours"] } },
      want: true,
    },
    {
      name: "finalizer missing",
      live: { metadata: { finalizers: ["kubernetes.io/pvc-protection"] } },
      desired: { metadata: { finalizers: ["ours"] } },
      want: false,
    },
    {
      name: "object list with defaults filled in",
      live: { containers: [{ ...container, imagePullPolicy: "IfNotPresent", terminationMessagePath: "/dev/termination-log" }] },
      desired: { containers: [container] },
      want: true,
    },
    { name: "object list, changed element", live: { containers: [container] }, desired: { containers: [{ ...container, image: "mysql:8.0" }] }, want: false },
    {
      name: "object list, another manager's element besides",
      live: { ownerReferences: [{ uid: "other" }, { uid: "ours", controller: true }] },
      desired: { ownerReferences: [{ uid: "ours", controller: true }] },
      want: true,
    },
    { name: "object list, element missing", live: { ownerReferences: [{ uid: "other" }] }, desired: { ownerReferences: [{ uid: "ours" }] }, want: false },
    {
      name: "object list, order kept",
      live: { env: [{ name: "B" }, { name: "A" }] },
      desired: { env: [{ name: "A" }, { name: "B" }] },
      want: false,
    },
    { name: "empty object declared, absent live", live: {}, desired: { emptyDir: {} }, want: false },
    {
      name: "empty values the API server omits",
      live: { spec: { capacity: { storage: "1Gi" } } },
      desired: { spec: { storageClassName: "", readOnly: false, port: 0, args: [], capacity: { storage: "1Gi" } } },
      want: true,
    },
    {
      name: "a hardening field's false or 0 is kept by the API server (a pointer in its types): absent live, it was edited away",
      live: { securityContext: { capabilities: { drop: ["ALL"] } } },
      desired: { securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } } },
      want: false,
    },
    {
      name: "a pod's token switched off, then the switch removed",
      live: { spec: {} },
      desired: { spec: { automountServiceAccountToken: false } },
      want: false,
    },
    {
      name: "root asked for by uid 0, then the uid removed",
      live: { securityContext: { runAsNonRoot: false } },
      desired: { securityContext: { runAsNonRoot: false, runAsUser: 0 } },
      want: false,
    },
    {
      name: "hardening fields held as declared",
      live: { securityContext: { runAsNonRoot: false, runAsUser: 0, runAsGroup: 0, allowPrivilegeEscalation: false, privileged: false } },
      desired: { securityContext: { runAsNonRoot: false, runAsUser: 0, runAsGroup: 0, allowPrivilegeEscalation: false, privileged: false } },
      want: true,
    },
    {
      name: "an empty value is still a value when present",
      live: { spec: { storageClassName: "fast" } },
      desired: { spec: { storageClassName: "" } },
      want: false,
    },
  ];
  for (const c of cases) assert.equal(holdsApplied(c.live, c.desired), c.want, c.name);
});

test("appliedHash: the same object, the same hash; another value, another hash", () => {
  const a = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x", labels: { a: "1", b: "2" } }, data: { k: "v" } };
  assert.equal(appliedHash(a), appliedHash(structuredClone(a)));
  assert.notEqual(appliedHash(a), appliedHash({ ...a, metadata: { ...a.metadata, name: "y" } }));
  assert.match(appliedHash(a), /^sha256:[0-9a-f]{32}$/);
});

test("appliedHash: a long data value counts by its content, whichever copy holds it", () => {
  const hashOf = (object: object): string => appliedHash(object as KubernetesObject);
  const script = "#!/bin/sh\n" + "echo 'a line of a script'\n".repeat(200);
  const a = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" }, data: { "run.sh": script, short: "v" } };
  // An equal value in another string (as a parsed answer holds it) hashes the same.
  const copy = { ...a, data: { "run.sh": (" " + script).slice(1), short: "v" } };
  assert.equal(hashOf(a), hashOf(copy));
  assert.equal(hashOf(a), hashOf(structuredClone(a)));
  // One character changed, anywhere in it, changes the hash; so does a short value beside it.
  assert.notEqual(hashOf(a), hashOf({ ...a, data: { "run.sh": script.slice(0, -2) + "x\n", short: "v" } }));
  assert.notEqual(hashOf(a), hashOf({ ...a, data: { "run.sh": script, short: "w" } }));
  for (const field of ["binaryData", "stringData"]) {
    const withField = (value: string): object => ({ ...a, data: {}, [field]: { k: value } });
    assert.notEqual(hashOf(withField(script)), hashOf(withField(script + "x")), field);
  }
  // Not the same as the value replaced by any string (what the digest stands for is not a value a map can hold).
  const digest = createHash("sha256").update(script).digest("hex");
  for (const stand of [digest, `sha256:${digest}`, JSON.stringify({ sha256: digest })]) {
    assert.notEqual(hashOf(a), hashOf({ ...a, data: { "run.sh": stand, short: "v" } }), stand);
  }
  // The object hashed is not changed.
  assert.equal(a.data["run.sh"], script);
});

test("appliedHash: a Secret's long values are hashed with the rest, not remembered by value", () => {
  const key = "-----BEGIN PRIVATE KEY-----\n" + "QUJD".repeat(400) + "\n-----END PRIVATE KEY-----\n";
  const secret = { apiVersion: "v1", kind: "Secret", metadata: { name: "tls" }, stringData: { "tls.key": key } } as KubernetesObject;
  const whole = `sha256:${createHash("sha256").update(JSON.stringify(secret)).digest("hex").slice(0, 32)}`;
  assert.equal(appliedHash(secret), whole);
});

test("holdsApplied: a quantity the API server stored in its own form holds the applied one (0.5 CPU as 500m, 1024Mi as 1Gi); another amount, or another field, does not", () => {
  // Every quantity field of one object, in the form the apply sends or the one the API server stores.
  const withAmounts = (size: string, cpu: string) => ({
    spec: {
      capacity: { storage: size },
      resources: { requests: { storage: size } },
      template: {
        spec: {
          containers: [{ name: "c", resources: { requests: { cpu }, limits: { memory: size } } }],
          volumes: [{ name: "v", emptyDir: { sizeLimit: size } }],
        },
      },
    },
  });
  const applied = withAmounts("1024Mi", "0.5");
  const stored = withAmounts("1Gi", "500m");
  assert.ok(holdsApplied(stored, applied));
  assert.ok(!holdsApplied({ spec: { ...stored.spec, capacity: { storage: "2Gi" } } }, applied), "another amount");
  assert.ok(!holdsApplied({ data: { size: "1Gi" } }, { data: { size: "1024Mi" } }), "a string that is not a quantity field");
});
