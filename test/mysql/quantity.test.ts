/** Kubernetes quantities compared as numbers. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseQuantity } from "../../src/mysql/quantity.ts";

test("parseQuantity: given/want", () => {
  const table: [string, number | undefined][] = [
    ["1Gi", 2 ** 30],
    ["500Mi", 500 * 2 ** 20],
    ["1.5Gi", 1.5 * 2 ** 30],
    ["1G", 1e9],
    ["1e3", 1000],
    ["100", 100],
    ["+2Ki", 2048],
    ["500m", 0.5],
    ["lots", undefined],
    ["1GB", undefined],
    ["", undefined],
  ];
  for (const [given, want] of table) assert.equal(parseQuantity(given), want, given);
  assert.ok(parseQuantity("2Gi")! > parseQuantity("2000Mi")!);
});
