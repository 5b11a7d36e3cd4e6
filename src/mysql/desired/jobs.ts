/**
 * The Jobs: `backup-NAME-job` (on delete), `restore-NAME-job` (on create) and
 * `passwd-NAME-job` (password change), and the CronJob `NAME-backup-schedule` (the backups of
 * `spec.backup.schedule`, from the same template as `backup-NAME-job`). Values from the resource reach the containers
 * only as environment variables or mounted files, never through a shell command line;
 * the password only through Secrets.
 */
import type { V1CronJob, V1EnvVar, V1Job, V1PodFailurePolicyRule, V1Volume, V1VolumeMount } from "@kubernetes/client-node";
import type { MySQLInstance } from "../instance.ts";
import { labelsFor, PASSWORD_TARGET_ANNOTATION } from "../names.ts";
import { BACKUP_KINDS, DEFAULTS, ENV, EXIT_CODES, SCRIPT_FILES, scriptCommand } from "../scripts/index.ts";
import { hardenedPodSpec } from "./pod-security.ts";
import { PASSWORD_CHANGE_FILES } from "./secrets.ts";
import { MYSQL_PORT, PASSWORD_KEY } from "./server.ts";
import { podAffinity, usesHostPathVolumes } from "./storage.ts";

/** Where the scripts ConfigMap is mounted. */
export const SCRIPTS_DIR = "/mysqlop/scripts";
/** Where the backup claim is mounted. */
export const BACKUP_DIR = "/backup";
/** The Jobs' volume of the backup claim. */
const BACKUP_VOLUME = "backup";
/** Name of the container in every Job (named in pod failure policies). */
export const JOB_CONTAINER = "mysqlop";
/** The backup script writes its report (file, size, sha256, created) here: Kubernetes copies it into the pod's status. */
export const TERMINATION_MESSAGE_PATH = "/dev/termination-log";

/**
 * How long a Job may run in all, retries included, before Kubernetes stops it (`activeDeadlineSeconds`):
 * a dump or a load that hangs then fails with `DeadlineExceeded` and says so, instead of holding a
 * deletion or creation without an end. Generous for the dumps (hours for a large database); a
 * password change is one statement.
 */
export const JOB_DEADLINE_SECONDS = { dump: 6 * 3600, passwordChange: 600 } as const;

/**
 * Exit codes that no retry can fix: the Job fails at once. Retried within the Job's back-off
 * limit: "server not reachable" and "the dump tool failed" (a server restarting mid-dump gives
 * that; the previous dump is untouched either way).
 */
const RETRIED_EXIT_CODES: ReadonlySet<number> = new Set([EXIT_CODES.ok, EXIT_CODES.connect, EXIT_CODES.dump]);
const PERMANENT_EXIT_CODES = Object.values(EXIT_CODES)
  .filter((code) => !RETRIED_EXIT_CODES.has(code))
  .sort((a, b) => a - b);

function failFast(): V1PodFailurePolicyRule[] {
  return [{ action: "FailJob", onExitCodes: { containerName: JOB_CONTAINER, operator: "In", values: PERMANENT_EXIT_CODES } }];
}

function scriptEnv(instance: MySQLInstance): V1EnvVar[] {
  const { names } = instance;
  return [
    { name: ENV.host, value: names.server },
    { name: ENV.port, value: String(MYSQL_PORT) },
    { name: ENV.database, value: instance.spec.database },
    { name: ENV.password, valueFrom: { secretKeyRef: { name: names.credentials, key: PASSWORD_KEY } } },
    { name: ENV.backupDir, value: BACKUP_DIR },
  ];
}

function scriptJob(
  instance: MySQLInstance,
  name: string,
  component: "backup" | "scheduled-backup" | "restore",
  script: typeof SCRIPT_FILES.backup | typeof SCRIPT_FILES.restore,
  extraEnv: V1EnvVar[],
  subdirectory?: string,
): V1Job {
  const { resource, names } = instance;
  const labels = labelsFor(resource, component);
  // kubelet creates a missing subPath directory, so BACKUP_DIR exists as the scripts require.
  const backupMount: V1VolumeMount = { name: BACKUP_VOLUME, mountPath: BACKUP_DIR, ...(subdirectory === undefined ? {} : { subPath: subdirectory }) };
  const fallbacks = component === "restore" ? undefined : passwordFallbacks(instance);
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, namespace: resource.metadata.namespace, labels },
    spec: {
      backoffLimit: 6,
      activeDeadlineSeconds: JOB_DEADLINE_SECONDS.dump,
      podFailurePolicy: { rules: failFast() },
      template: {
        metadata: { labels },
        // The volumes' node (hostPath mode): the pod runs where the dump and the data are.
        spec: {
          ...podAffinity(instance),
          ...hardenedPodSpec({
            restartPolicy: "Never",
            container: {
              name: JOB_CONTAINER,
              image: instance.spec.image,
              command: scriptCommand(SCRIPTS_DIR, script),
              // A script's error line (its log's tail) lands in the pod's status, where the operator reads it.
              terminationMessagePolicy: "FallbackToLogsOnError",
              env: [...scriptEnv(instance), ...extraEnv, ...(fallbacks === undefined ? [] : [fallbacks.env])],
              volumeMounts: [{ name: "scripts", mountPath: SCRIPTS_DIR, readOnly: true }, backupMount, ...(fallbacks === undefined ? [] : [fallbacks.mount])],
            },
            volumes: [
              { name: "scripts", configMap: { name: names.scripts } },
              { name: BACKUP_VOLUME, persistentVolumeClaim: { claimName: names.backupClaim } },
              ...(fallbacks === undefined ? [] : [fallbacks.volume]),
            ],
            resources: instance.spec.jobResources,
            // Only a backup writes there; a restore reads.
            hostPathMounts: component !== "restore" && usesHostPathVolumes(instance) ? [backupMount] : [],
          }),
        },
      },
    },
  };
}

/** Where a backup's pod finds the password-change Secret's option file, when there is one. */
const PASSWORD_FALLBACKS_DIR = "/mysqlop/password-fallbacks";

/**
 * The password-change Secret's option file for a backup (final or scheduled), mounted while that Secret exists
 * (`optional`): its fallback groups are the passwords of a change that did not finish, one of which the server may
 * have (a Job that set its password, then failed). The backup script tries them when the server refuses the recorded
 * one, so such a change does not stop every backup, the final one included. Only that file is mounted, as for the
 * password-change Job; the Secret's other keys stay out.
 */
function passwordFallbacks(instance: MySQLInstance): { env: V1EnvVar; mount: V1VolumeMount; volume: V1Volume } {
  const name = "password-fallbacks";
  return {
    env: { name: ENV.passwordFallbacksFile, value: `${PASSWORD_FALLBACKS_DIR}/${PASSWORD_CHANGE_FILES.client}` },
    mount: { name, mountPath: PASSWORD_FALLBACKS_DIR, readOnly: true },
    volume: {
      name,
      secret: {
        secretName: instance.names.passwordChange,
        optional: true,
        // Readable by the container's user through fsGroup, by nobody else.
        defaultMode: 0o400,
        items: [{ key: PASSWORD_CHANGE_FILES.client, path: PASSWORD_CHANGE_FILES.client }],
      },
    },
  };
}

/** The backup script's settings: retention, report, and what the dump is of (the resource's uid, which is not secret, and why it was taken). */
function backupEnv(instance: MySQLInstance, kind: keyof typeof BACKUP_KINDS): V1EnvVar[] {
  const uid = instance.resource.metadata.uid;
  return [
    { name: ENV.backupKeep, value: String(instance.resource.spec.backup?.keep ?? DEFAULTS.keep) },
    { name: ENV.backupReportFile, value: TERMINATION_MESSAGE_PATH },
    { name: ENV.backupKind, value: BACKUP_KINDS[kind] },
    ...(uid === undefined ? [] : [{ name: ENV.backupSource, value: uid }]),
  ];
}

/** `backup-NAME-job`: dumps the database into the backup claim, or into `subdirectory` of it (to leave the dump at its root alone). */
export function buildBackupJob(instance: MySQLInstance, subdirectory?: string): V1Job {
  return scriptJob(instance, instance.names.backupJob, "backup", SCRIPT_FILES.backup, backupEnv(instance, "final"), subdirectory);
}

/**
 * The subdirectory of the backup claim `job` (a {@link buildBackupJob}) dumps into; `undefined` for the claim itself. Read
 * from the Job once it ended: where its dump is, whatever changed since it was made.
 */
export function backupSubdirectory(job: V1Job): string | undefined {
  const container = job.spec?.template.spec?.containers.find((c) => c.name === JOB_CONTAINER);
  return container?.volumeMounts?.find((m) => m.name === BACKUP_VOLUME)?.subPath;
}

/**
 * How long after its time a missed scheduled backup may still start (`startingDeadlineSeconds`): a backup
 * skipped while the CronJob was suspended or the controller down is not made up hours later, and the
 * controller never counts more than 100 missed times (past which it stops scheduling).
 */
export const SCHEDULE_STARTING_DEADLINE_SECONDS = 600;

/**
 * `NAME-backup-schedule`: the backups of `spec.backup.schedule`, Jobs from the template of `backup-NAME-job` (the
 * same script, volume, history and retention), labelled as component `scheduled-backup`. One at a time
 * (`Forbid`): two dumps must never write the backup directory at once. `suspend` stops new ones (deletion).
 */
export function buildBackupCronJob(instance: MySQLInstance, schedule: string, suspend = false): V1CronJob {
  const { resource, names } = instance;
  const job = scriptJob(instance, names.backupSchedule, "scheduled-backup", SCRIPT_FILES.backup, backupEnv(instance, "scheduled"));
  const labels = labelsFor(resource, "scheduled-backup");
  return {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: { name: names.backupSchedule, namespace: resource.metadata.namespace, labels },
    spec: {
      schedule,
      suspend,
      concurrencyPolicy: "Forbid",
      startingDeadlineSeconds: SCHEDULE_STARTING_DEADLINE_SECONDS,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: { metadata: { labels }, spec: job.spec },
    },
  };
}

/**
 * `restore-NAME-job`: loads the dump into the (empty) database; refuses a database that holds data,
 * and a dump of another database than `spec.database` unless `spec.restore.fromDatabase` names it.
 * With `sha256` (the record of the last backup) exactly that dump, and a volume without it fails. The resource's uid
 * names the restore's progress on the backup volume: a load an earlier Job left half-done fails again, never passes for
 * "not empty".
 */
export function buildRestoreJob(instance: MySQLInstance, sha256?: string): V1Job {
  const fromDatabase = instance.resource.spec.restore?.fromDatabase;
  const env = [
    { name: ENV.restoreRequired, value: "1" },
    // A retry (a new Job after a failed one) then tells its own earlier half-load from data that were there before.
    ...(instance.resource.metadata.uid === undefined ? [] : [{ name: ENV.restoreId, value: instance.resource.metadata.uid }]),
    ...(sha256 === undefined ? [] : [{ name: ENV.restoreSha256, value: sha256 }]),
    ...(fromDatabase === undefined ? [] : [{ name: ENV.restoreFromDatabase, value: fromDatabase }]),
  ];
  return scriptJob(instance, instance.names.restoreJob, "restore", SCRIPT_FILES.restore, env);
}

/** Where the password-change Secret is mounted. */
export const PASSWORD_CHANGE_DIR = "/mysqlop/password-change";

/**
 * The password-change container's command for files in `dir`: it names files, never values. The SQL comes on standard
 * input, not through the client's `source` (which went on after a refused statement and exited 0: a change the server
 * refused passed for done). It connects with the current password first, then, while the server answers "access
 * denied" (ERROR 1045), with each fallback group of the option file (see `clientOptionFile`): the new password, which
 * an earlier attempt may have set before it was cut short, and those of earlier changes that failed or vanished. The
 * client's output is not shown: its error quotes the refused statement, with the new password; only the error's code
 * is, and what it likely means.
 */
export function passwordChangeCommand(dir: string): string[] {
  const client = `${dir}/${PASSWORD_CHANGE_FILES.client}`;
  const script = [
    'client=$(command -v mariadb || command -v mysql) || { echo "mysqlop: no mariadb or mysql client in the image" >&2; exit 1; }',
    // The groups' suffixes are the operator's own (_1, _2, …): nothing from a resource is split or run here.
    `for suffix in '' $(sed -n 's/^\\[client\\(_[0-9][0-9]*\\)\\]$/\\1/p' ${client}); do`,
    `  if out=$("$client" --defaults-extra-file=${client} \${suffix:+--defaults-group-suffix=$suffix} --batch < ${dir}/${PASSWORD_CHANGE_FILES.sql} 2>&1); then exit 0; fi`,
    "  code=$(printf '%s\\n' \"$out\" | sed -n 's/^\\(ERROR [0-9][0-9]* ([0-9A-Za-z]*)\\).*/\\1/p' | head -n 1)",
    '  case "$code" in "ERROR 1045 "*) ;; *) break ;; esac',
    "done",
    "echo \"mysqlop: the password change failed: ${code:-the client failed without an error code}. The client's message is not shown: it may quote the new password. ERROR 1064: the server does not know ALTER USER IF EXISTS (too old a server); ERROR 1045: none of the root passwords tried opens the server (the one in the resource's credentials Secret, the new one, and those of earlier changes that did not finish); ERROR 2002 or 2003: the server cannot be reached\" >&2",
    "exit 1",
  ].join("\n");
  return ["sh", "-c", script];
}

/**
 * `passwd-NAME-job`: connects with the current root password and sets the new one,
 * both read from the password-change Secret. `targetDigest` ({@link passwordChangeDigest} of
 * the new password) tells a Job for an older change from the current one.
 */
export function buildPasswordChangeJob(instance: MySQLInstance, targetDigest: string): V1Job {
  const { resource, names } = instance;
  const labels = labelsFor(resource, "password-change");
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: names.passwordJob, namespace: resource.metadata.namespace, labels, annotations: { [PASSWORD_TARGET_ANNOTATION]: targetDigest } },
    spec: {
      backoffLimit: 4,
      activeDeadlineSeconds: JOB_DEADLINE_SECONDS.passwordChange,
      template: {
        metadata: { labels },
        // The volumes' node (hostPath mode): the pod runs where the dump and the data are.
        spec: {
          ...podAffinity(instance),
          ...hardenedPodSpec({
            restartPolicy: "Never",
            container: {
              name: JOB_CONTAINER,
              image: instance.spec.image,
              command: passwordChangeCommand(PASSWORD_CHANGE_DIR),
              volumeMounts: [{ name: "password-change", mountPath: PASSWORD_CHANGE_DIR, readOnly: true }],
            },
            volumes: [
              {
                name: "password-change",
                secret: {
                  secretName: names.passwordChange,
                  // Readable by the container's user through fsGroup, by nobody else.
                  defaultMode: 0o400,
                  items: [
                    { key: PASSWORD_CHANGE_FILES.client, path: PASSWORD_CHANGE_FILES.client },
                    { key: PASSWORD_CHANGE_FILES.sql, path: PASSWORD_CHANGE_FILES.sql },
                  ],
                },
              },
            ],
            resources: instance.spec.jobResources,
          }),
        },
      },
    },
  };
}
