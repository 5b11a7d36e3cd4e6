// Generated from schemas/mysql.yaml (sha256 b45aa90082fcea23b24dbd2a8520cf905e06cba140ddc78331c555913beebd84) by `mysqlop generate`. DO NOT EDIT.
/**
 * Names of the MySQL custom resource type, from the schema.
 * @packageDocumentation
 */
import type { ResourceType } from "../src/runtime/resource-reconciler.ts";

/** API group of MySQL. */
export const MYSQL_GROUP = "otus.homework";
/** Storage version of MySQL. */
export const MYSQL_VERSION = "v1";
/** `apiVersion` of MySQL objects. */
export const MYSQL_API_VERSION = "otus.homework/v1";
/** Kind of the resource. */
export const MYSQL_KIND = "MySQL";
/** Kind of its list. */
export const MYSQL_LIST_KIND = "MySQLList";
/** Plural resource name (URL path segment). */
export const MYSQL_PLURAL = "mysqls";
/** Singular resource name. */
export const MYSQL_SINGULAR = "mysql";
/** Short names for kubectl. */
export const MYSQL_SHORT_NAMES: readonly string[] = ["my"];
/** Name of the CustomResourceDefinition. */
export const MYSQL_CRD_NAME = "mysqls.otus.homework";
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
/** Spec fields, in schema order; each has a change hook in the reconciler base class. */
export const MYSQL_SPEC_FIELDS = [
  "image",
  "database",
  "password",
  "passwordSecretRef",
  "storage_size",
  "storageClassName",
] as const;
/** Spec fields marked sensitive: never logged, fingerprinted only as salted hashes. */
export const MYSQL_SENSITIVE_FIELDS: readonly string[] = ["password"];
/** The operator's ServiceAccount and namespace (RBAC subjects). */
export const MYSQL_OPERATOR_SERVICE_ACCOUNT = "mysqlop";
/** Namespace the operator runs in (leader-election Leases live there). */
export const MYSQL_OPERATOR_NAMESPACE = "mysqlop-system";
