// Static check of the shell scripts: POSIX sh only, quoting, unused or unset variables.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { dirname } from "node:path";
import { SCRIPT_FILES, scriptPath } from "../../../src/mysql/scripts/index.ts";

const installed = spawnSync("shellcheck", ["--version"], { stdio: "ignore" }).status === 0;

test(
  "backup.sh and restore.sh (with common.sh) pass shellcheck as POSIX sh",
  { skip: installed ? false : "SKIPPED: shellcheck is not installed (apt-get install shellcheck)" },
  () => {
    const result = spawnSync("shellcheck", ["--shell=sh", "--external-sources", SCRIPT_FILES.backup, SCRIPT_FILES.restore], {
      cwd: dirname(scriptPath(SCRIPT_FILES.backup)),
      encoding: "utf8",
    });
    assert.equal(result.status, 0, result.stdout + result.stderr);
  },
);
