// The TypeScript interface of the scripts must say what the shell files do.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  BACKUP_FILES,
  CLIENT_TOOLS,
  DEFAULTS,
  ENV,
  EXIT_CODES,
  REQUIRED_TOOLS,
  SCRIPT_FILES,
  SCRIPT_TEXTS,
  scriptCommand,
  scriptPath,
} from "../../../src/mysql/scripts/index.ts";

const common = SCRIPT_TEXTS[SCRIPT_FILES.common];
const all = Object.values(SCRIPT_TEXTS).join("\n");

test("script texts are the files, byte for byte", () => {
  for (const name of Object.values(SCRIPT_FILES)) {
    assert.equal(SCRIPT_TEXTS[name], readFileSync(scriptPath(name), "utf8"));
  }
});

test("exit codes agree with common.sh", () => {
  const given = Object.fromEntries([...common.matchAll(/^EXIT_([A-Z_]+)=(\d+)/gm)].map((m) => [m[1], Number(m[2])]));
  const want = {
    CONFIG: EXIT_CODES.config,
    CONNECT: EXIT_CODES.connect,
    DUMP: EXIT_CODES.dump,
    VERIFY: EXIT_CODES.verify,
    NOT_EMPTY: EXIT_CODES.notEmpty,
    LOAD: EXIT_CODES.load,
    WRITE: EXIT_CODES.write,
    OTHER_DATABASE: EXIT_CODES.otherDatabase,
  };
  assert.deepEqual(given, want);
});

test("file names agree with common.sh", () => {
  assert.match(common, new RegExp(`^DUMP_FILE=${BACKUP_FILES.dump.replace(/\./g, "\\.")}$`, "m"));
  assert.match(common, new RegExp(`^META_FILE=${BACKUP_FILES.metadata.replace(/\./g, "\\.")}$`, "m"));
  assert.match(common, new RegExp(`^META_NEXT_FILE=${BACKUP_FILES.pendingMetadata.replace(/\./g, "\\.")}$`, "m"));
  assert.match(common, new RegExp(`^HISTORY_DIR=${BACKUP_FILES.historyDir}$`, "m"));
  assert.match(common, new RegExp(`^HISTORY_PREFIX=${BACKUP_FILES.historyPrefix}$`, "m"));
  assert.match(common, new RegExp(`^RESTORED_SUFFIX=${BACKUP_FILES.restoredSuffix.replace(/\./g, "\\.")}$`, "m"));
  assert.match(common, new RegExp(`^PROGRESS_PREFIX=${BACKUP_FILES.progressPrefix.replace(/\./g, "\\.")}$`, "m"));
});

test("every documented variable is read by the scripts, with the documented defaults", () => {
  for (const name of Object.values(ENV)) assert.ok(all.includes(`\${${name}`), `${name} is read`);
  assert.ok(all.includes(`\${${ENV.user}:-${DEFAULTS.user}}`));
  assert.ok(all.includes(`\${${ENV.backupDir}:-${DEFAULTS.backupDir}}`));
  assert.ok(all.includes(`\${${ENV.restoreWaitSeconds}:-${DEFAULTS.restoreWaitSeconds}}`));
  assert.ok(all.includes(`\${${ENV.backupKeep}:-${DEFAULTS.keep}}`));
});

test("every variable the scripts read from the environment is documented", () => {
  const documented = new Set<string>(Object.values(ENV));
  const read = new Set([...all.matchAll(/\$\{([A-Z][A-Z_]+)[:+-]/g)].map((m) => m[1]));
  assert.deepEqual(
    [...read].filter((name) => name !== undefined && !documented.has(name)),
    [],
  );
});

test("client tool names are looked up in the documented order", () => {
  assert.ok(all.includes(`find_tool ${CLIENT_TOOLS.client.join(" ")}`));
  assert.ok(all.includes(`find_tool ${CLIENT_TOOLS.dump.join(" ")}`));
  for (const tool of REQUIRED_TOOLS) assert.match(all, new RegExp(`(^|[\\s($])${tool}[\\s;]`, "m"), `${tool} is used`);
});

test("scriptCommand runs the mounted file with sh", () => {
  const given: [string, typeof SCRIPT_FILES.backup | typeof SCRIPT_FILES.restore, string[]][] = [
    ["/scripts", SCRIPT_FILES.backup, ["sh", "/scripts/backup.sh"]],
    ["/etc/mysqlop/", SCRIPT_FILES.restore, ["sh", "/etc/mysqlop/restore.sh"]],
  ];
  for (const [dir, script, want] of given) assert.deepEqual(scriptCommand(dir, script), want);
});
