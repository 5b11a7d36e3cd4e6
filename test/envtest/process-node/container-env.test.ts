// The environment a container gets on the process node: Kubernetes' $(VAR) expansion and value sources.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { V1Container, V1Pod } from "@kubernetes/client-node";
import { ContainerConfigError, containerEnvironment, expandReferences, type ConfigLookup } from "../../../src/envtest/process-node/container-env.ts";

describe("expandReferences", () => {
  const vars = new Map([
    ["A", "1"],
    ["B", "$(A)"],
  ]);
  const cases: [string, string][] = [
    ["$(A)", "1"],
    ["x$(A)y$(A)", "x1y1"],
    ["$(B)", "$(A)"],
    ["$$(A)", "$(A)"],
    ["$(MISSING)", "$(MISSING)"],
    ["$(A", "$(A"],
    ["$", "$"],
    ["a$b", "a$b"],
    ["$$", "$"],
  ];
  for (const [given, want] of cases) test(`${given} -> ${want}`, () => assert.equal(expandReferences(given, vars), want));
});

describe("containerEnvironment", () => {
  const pod: V1Pod = { metadata: { name: "p", namespace: "ns", uid: "u1", labels: { app: "x" } }, spec: { containers: [], nodeName: "n1" } };
  const lookup: ConfigLookup = {
    configMap: async (_ns, name) => (name === "cm" ? { color: "blue", size: "L" } : undefined),
    secret: async (_ns, name) => (name === "s" ? { password: "it's $(A)" } : undefined),
  };
  const facts = { podIP: "127.9.9.9", hostIP: "127.0.0.1" };

  test("envFrom, then env in order; values expanded, secret values not", async () => {
    const container: V1Container = {
      name: "c",
      envFrom: [{ configMapRef: { name: "cm" }, prefix: "CM_" }],
      env: [
        { name: "A", value: "a" },
        { name: "PW", valueFrom: { secretKeyRef: { name: "s", key: "password" } } },
        { name: "IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
        { name: "APP", valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: "MIX", value: "$(CM_color)-$(A)-$(IP)" },
        { name: "A", value: "again $(A)" },
      ],
    };
    const env = await containerEnvironment(pod, container, facts, lookup, new Map([["PATH", "/bin"]]));
    assert.equal(env.get("PATH"), "/bin");
    assert.equal(env.get("CM_size"), "L");
    assert.equal(env.get("PW"), "it's $(A)");
    assert.equal(env.get("IP"), "127.9.9.9");
    assert.equal(env.get("APP"), "x");
    assert.equal(env.get("MIX"), "blue-a-127.9.9.9");
    assert.equal(env.get("A"), "again a");
  });

  test("a missing Secret or key is a config error naming it; optional ones are skipped", async () => {
    const missing = (env: V1Container["env"]) => containerEnvironment(pod, { name: "c", env }, facts, lookup, new Map());
    await assert.rejects(
      missing([{ name: "X", valueFrom: { secretKeyRef: { name: "nope", key: "k" } } }]),
      (e: Error) => e instanceof ContainerConfigError && /secret "nope" not found/.test(e.message),
    );
    await assert.rejects(missing([{ name: "X", valueFrom: { configMapKeyRef: { name: "cm", key: "k" } } }]), /couldn't find key k in ConfigMap ns\/cm/);
    const env = await missing([{ name: "X", valueFrom: { secretKeyRef: { name: "nope", key: "k", optional: true } } }]);
    assert.equal(env.has("X"), false);
  });
});
