import assert from "node:assert/strict";
import { test } from "node:test";
import { parseBackupReport } from "../../src/mysql/backup-report.ts";

const sha256 = "0123456789abcdef".repeat(4);
const good = `file=history/mysqlop-dump-20261129T003000Z.sql\nsize=42\nsha256=${sha256}\ncreated=2026-11-29T00:30:00Z\nentries=3\n`;

test("parseBackupReport: the backup script's termination message", () => {
  assert.deepEqual(parseBackupReport(good), {
    file: "history/mysqlop-dump-20261129T003000Z.sql",
    sizeBytes: 42,
    sha256,
    created: "2026-11-29T00:30:00Z",
  });
});

test("parseBackupReport: anything missing or malformed records nothing rather than half a record", () => {
  const table: [string | undefined, string][] = [
    [undefined, "no message"],
    ["", "empty"],
    [good.replace(/size=42/, "size=forty"), "size not a number"],
    [good.replace(sha256, sha256.toUpperCase()), "sha256 not lower-case hex"],
    [good.replace(sha256, sha256.slice(1)), "sha256 too short"],
    [good.replace(/created=.*/, "created=yesterday"), "created not a UTC time"],
    [good.replace(/file=.*/, "file=../../etc/passwd"), "file leaves the backup directory"],
    [good.replace(/file=.*/, "file=history/a b.sql"), "file with a space"],
    [good.replace(/file=.*\n/, ""), "no file"],
  ];
  for (const [message, why] of table) assert.equal(parseBackupReport(message), undefined, why);
});
