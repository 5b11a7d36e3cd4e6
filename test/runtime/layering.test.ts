import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";

test("src/runtime is generic: no file mentions MySQL or imports from outside the runtime", () => {
  const dir = new URL("../../src/runtime/", import.meta.url);
  const files = readdirSync(dir).filter((f) => f.endsWith(".ts"));
  assert.ok(files.length > 10);
  for (const file of files) {
    const text = readFileSync(new URL(file, dir), "utf8");
    assert.doesNotMatch(text, /mysql|mariadb/i, `${file} mentions MySQL`);
    // A library never decides for the process: signals and exit belong to the program (cli/run).
    assert.doesNotMatch(text, /process\.exit\(|process\.(on|once)\("SIG/, `${file} handles signals or exits the process`);
    for (const [, from] of text.matchAll(/from "([^"]+)"/g)) {
      assert.ok(from!.startsWith("./") || !from!.startsWith("."), `${file} imports ${from} from outside src/runtime`);
    }
  }
});
