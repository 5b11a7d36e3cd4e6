import assert from "node:assert/strict";
import { test } from "node:test";
import { compareStrings } from "../../src/mysql/compare.ts";

test("compareStrings: by code unit, as the API server orders names and RFC 3339 times", () => {
  const table: [string, string, number][] = [
    ["a", "a", 0],
    ["a", "b", -1],
    ["node-2", "node-10", 1],
    ["B", "a", -1],
    ["2026-11-29T03:00:00Z", "2026-11-29T10:00:00Z", -1],
    ["2026-11-29T10:00:00Z", "2026-11-29T03:00:00Z", 1],
    ["", "a", -1],
  ];
  for (const [a, b, want] of table) assert.equal(compareStrings(a, b), want, `${a} vs ${b}`);
});
