/**
 * The children one MySQL resource owns, computed from the resource alone (pure). The
 * loop applies them with owner references; cluster-scoped volumes and the backup claim
 * are not among them (they cannot or must not be owned) and are applied by the hooks.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import type { MySQL } from "../../../generated/mysql-models.ts";
import { buildCredentialsSecret, buildScriptsConfigMap } from "./secrets.ts";
import { buildDeployment, buildService } from "./server.ts";
import { buildDataClaim } from "./storage.ts";

export { buildBackupClaim, buildBackupVolume, buildDataClaim, buildDataVolume, usesHostPathVolumes, HOST_PATH_ROOT } from "./storage.ts";
export { buildDeployment, buildService, MYSQL_PORT, PASSWORD_KEY } from "./server.ts";
export { buildCredentialsSecret, buildPasswordChangeSecret, buildScriptsConfigMap, secretValue, PASSWORD_CHANGE_FILES } from "./secrets.ts";
export { buildBackupJob, buildPasswordChangeJob, buildRestoreJob, passwordChangeCommand, BACKUP_DIR, JOB_CONTAINER, PASSWORD_CHANGE_DIR, SCRIPTS_DIR } from "./jobs.ts";

/**
 * The owned children: credentials (inline password, until the first success: after that
 * the password hooks own its value), scripts, data claim, Service, Deployment.
 */
export function desiredChildren(resource: MySQL): KubernetesObject[] {
  const children: KubernetesObject[] = [];
  const creating = resource.status?.appliedSpec === undefined;
  if (creating && resource.spec.password !== undefined) children.push(buildCredentialsSecret(resource, resource.spec.password));
  children.push(buildScriptsConfigMap(resource), buildDataClaim(resource), buildService(resource), buildDeployment(resource));
  return children;
}
export { buildBackupInfo, BACKUP_INFO_KEYS } from "./backup-info.ts";
