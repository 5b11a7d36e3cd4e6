// Generated from schemas/mysql.yaml (sha256 4ff9b5afa563c197c86cf5b275d30f91c3086b535c873e1ab181b13a7ad3b4bb) by `mysqlop generate`. DO NOT EDIT.
/**
 * Names of the MySQL custom resource type, from the schema.
 * @packageDocumentation
 */
import type { KindInfo, ResourceType, SpecFieldInfo } from "../src/runtime/index.ts";

/** API group of MySQL. */
export const MYSQL_GROUP = "otus.homework";
/** Storage version of MySQL. */
export const MYSQL_VERSION = "v1";
/** Kind of the resource. */
export const MYSQL_KIND = "MySQL";
/** Plural resource name (URL path segment). */
export const MYSQL_PLURAL = "mysqls";
/** The finalizer that holds deletion until the final backup succeeded. */
export const MYSQL_FINALIZER = "otus.homework/backup";
/** The resource type, as the runtime wants it. */
export const MYSQL_RESOURCE_TYPE: ResourceType = {
  group: MYSQL_GROUP,
  version: MYSQL_VERSION,
  plural: MYSQL_PLURAL,
  kind: MYSQL_KIND,
  namespaced: true,
};
/** Spec fields in schema order, with what a change of each means (`x-mysqlop-on-change`) and whether it is a secret. */
export const MYSQL_SPEC_FIELDS: readonly SpecFieldInfo[] = [
  { name: "image", onChange: "hook" },
  { name: "database", onChange: "immutable" },
  { name: "password", onChange: "hook", sensitive: true },
  { name: "passwordSecretRef", onChange: "hook" },
  { name: "storage_size", onChange: "hook" },
  { name: "storageClassName", onChange: "immutable" },
  { name: "backup", onChange: "rollout" },
  { name: "restore", onChange: "rollout" },
  { name: "hostPath", onChange: "immutable" },
  { name: "resources", onChange: "hook" },
  { name: "jobResources", onChange: "rollout" },
];
/** Kinds the operator watches besides MySQL itself (the schema's operator rules with `watch`): its cache serves every read of the hooks. */
export const MYSQL_WATCHED_KINDS: readonly KindInfo[] = [
  { apiVersion: "v1", kind: "PersistentVolumeClaim", plural: "persistentvolumeclaims", namespaced: true },
  { apiVersion: "v1", kind: "PersistentVolume", plural: "persistentvolumes", namespaced: false },
  { apiVersion: "v1", kind: "Service", plural: "services", namespaced: true },
  { apiVersion: "apps/v1", kind: "Deployment", plural: "deployments", namespaced: true },
  { apiVersion: "batch/v1", kind: "Job", plural: "jobs", namespaced: true },
  { apiVersion: "batch/v1", kind: "CronJob", plural: "cronjobs", namespaced: true },
  { apiVersion: "v1", kind: "Secret", plural: "secrets", namespaced: true },
  { apiVersion: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true },
];
/** Spec fields marked sensitive: never logged, fingerprinted only as salted hashes. */
export const MYSQL_SENSITIVE_FIELDS: readonly string[] = ["password"];
/** The operator's ServiceAccount and namespace (RBAC subjects). */
export const MYSQL_OPERATOR_SERVICE_ACCOUNT = "mysqlop";
/** Namespace the operator runs in (leader-election Leases live there). */
export const MYSQL_OPERATOR_NAMESPACE = "mysqlop-system";
