/** Kubernetes quantities compared exactly: the API server's form and the user's name one amount. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { compareQuantities } from "../../src/runtime/index.ts";

test("compareQuantities: the same amount in other forms is 0; more and less; not a quantity is undefined", () => {
  const same: [string, string][] = [
    ["0.5", "500m"],
    ["1024Mi", "1Gi"],
    ["1073741824", "1Gi"],
    ["1e3", "1k"],
    ["+2Ki", "2048"],
    ["1.5Gi", "1536Mi"],
    ["0.1", "100m"],
    [".5", "0.5"],
    ["1000m", "1"],
    ["1E6", "1M"],
  ];
  for (const [a, b] of same) assert.equal(compareQuantities(a, b), 0, `${a} = ${b}`);
  const less: [string, string][] = [
    ["2000Mi", "2Gi"],
    ["1G", "1Gi"],
    ["999m", "1"],
    ["-1", "0"],
    ["1Gi", "1073741825"],
  ];
  for (const [a, b] of less) {
    assert.equal(compareQuantities(a, b), -1, `${a} < ${b}`);
    assert.equal(compareQuantities(b, a), 1, `${b} > ${a}`);
  }
  for (const text of ["lots", "1GB", "", "1e999", "1.2.3", "Gi"]) assert.equal(compareQuantities(text, "1"), undefined, JSON.stringify(text));
});
