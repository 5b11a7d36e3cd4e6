import assert from "node:assert/strict";
import { test } from "node:test";
import { parseBackupReport, readBackupReport, scriptError } from "../../src/mysql/backup-report.ts";
import { instanceOf } from "../../src/mysql/instance.ts";
import { originalResource, recordingContext } from "./fixtures.ts";

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

test("scriptError: the last line of a failed pod's termination message (the script's error), none without a failed pod", async () => {
  const resource = originalResource();
  const instance = instanceOf(resource);
  const job = { apiVersion: "batch/v1", kind: "Job", metadata: { name: "restore-mysql-instance-job", namespace: "default", uid: "job-uid" } };
  const pod = (phase: string, message: string) => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: `p-${phase}`, namespace: "default", labels: { "batch.kubernetes.io/controller-uid": "job-uid" } },
    status: {
      phase,
      containerStatuses: [{ name: "mysqlop", image: "", imageID: "", ready: false, restartCount: 0, state: { terminated: { exitCode: 4, message } } }],
    },
  });
  const none = recordingContext([pod("Running", "")]);
  assert.equal(await scriptError(instance, none.ctx, job), undefined);
  const failedPod = recordingContext([pod("Failed", "restore: waiting\nrestore: error: a backup was recorded, but there is no dump in /backup\n\n")]);
  assert.equal(await scriptError(instance, failedPod.ctx, job), "restore: error: a backup was recorded, but there is no dump in /backup");
});

test("readBackupReport: pending while the succeeded pod is not listed yet, then recorded without a report", async () => {
  const instance = instanceOf(originalResource());
  const job = { apiVersion: "batch/v1", kind: "Job", metadata: { name: "backup-mysql-instance-job", namespace: "default", uid: "job-uid" } };
  const { ctx } = recordingContext([]);
  const completedAt = "2026-11-29T00:00:00Z";
  assert.equal(await readBackupReport(instance, ctx, job, completedAt, new Date("2026-11-29T00:00:10Z")), "pending");
  assert.equal(await readBackupReport(instance, ctx, job, completedAt, new Date("2026-11-29T00:00:31Z")), undefined);
});
