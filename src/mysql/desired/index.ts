/**
 * The children one MySQL resource owns, computed from the resource alone (pure). The
 * loop applies them with owner references on every reconcile. Not among them, and applied
 * by the hooks instead: cluster-scoped volumes and the backup claim (they cannot or must not
 * be owned), the credentials (created once, then changed only by a password change that
 * succeeded) and the Jobs.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import type { MySQLInstance } from "../instance.ts";
import { buildScriptsConfigMap } from "./secrets.ts";
import { buildDeployment, buildService } from "./server.ts";
import { buildDataClaim } from "./storage.ts";

export {
  BACKUP_CLAIM_FINALIZER,
  buildBackupClaim,
  buildBackupVolume,
  buildDataClaim,
  buildDataVolume,
  podAffinity,
  usesHostPathVolumes,
  DATA_CLAIM_FINALIZER,
  HOST_PATH_ROOT,
} from "./storage.ts";
export { buildDeployment, buildService, MYSQL_PORT, PASSWORD_KEY } from "./server.ts";
export {
  buildCredentialsSecret,
  buildPasswordChangeSecret,
  buildScriptsConfigMap,
  passwordChangeDigest,
  secretValue,
  PASSWORD_CHANGE_FILES,
  PASSWORD_CHANGE_KEYS,
} from "./secrets.ts";
export {
  buildBackupCronJob,
  backupSubdirectory,
  buildBackupJob,
  buildPasswordChangeJob,
  buildRestoreJob,
  passwordChangeCommand,
  BACKUP_DIR,
  JOB_CONTAINER,
  JOB_DEADLINE_SECONDS,
  PASSWORD_CHANGE_DIR,
  SCRIPTS_DIR,
} from "./jobs.ts";

/**
 * The owned children the loop applies on every reconcile: scripts, data claim, Service,
 * Deployment. Not the credentials: they must hold the password the server has, so they are
 * created once by the create hook and changed only after a password change succeeded. No claim
 * and no server before the create hook decided where the volumes come from.
 */
export function desiredChildren(instance: MySQLInstance): KubernetesObject[] {
  if (instance.placement === undefined) return [buildScriptsConfigMap(instance), buildService(instance)];
  return [buildScriptsConfigMap(instance), buildDataClaim(instance), buildService(instance), buildDeployment(instance)];
}
export { buildBackupInfo, BACKUP_INFO_KEYS, dumpPath, type BackupReport } from "./backup-info.ts";
