/**
 * Secrets and script files. `NAME-credentials` holds the root password the server has
 * now; the password-change Secret exists only while a change runs.
 */
import type { V1ConfigMap, V1Secret } from "@kubernetes/client-node";
import type { MySQL } from "../../../generated/mysql-models.ts";
import { SCRIPT_TEXTS } from "../scripts/index.ts";
import { childNames, labelsFor } from "../names.ts";
import { clientOptionFile, passwordChangeSql } from "../sql.ts";
import { PASSWORD_KEY } from "./server.ts";

/** Files of the password-change Secret. */
export const PASSWORD_CHANGE_FILES = { client: "client.cnf", sql: "change.sql" } as const;

function base64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

/** `NAME-credentials` with the root password the server has (or gets on first start). */
export function buildCredentialsSecret(resource: MySQL, password: string): V1Secret {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: childNames(resource).credentials, namespace: resource.metadata.namespace, labels: labelsFor(resource, "credentials") },
    type: "Opaque",
    data: { [PASSWORD_KEY]: base64(password) },
  };
}

/** `NAME-password-change`: a client option file with the current password and the SQL that sets the new one. */
export function buildPasswordChangeSecret(resource: MySQL, current: string, target: string): V1Secret {
  const names = childNames(resource);
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: names.passwordChange, namespace: resource.metadata.namespace, labels: labelsFor(resource, "password-change") },
    type: "Opaque",
    data: { [PASSWORD_CHANGE_FILES.client]: base64(clientOptionFile(names.server, current)), [PASSWORD_CHANGE_FILES.sql]: base64(passwordChangeSql(target)) },
  };
}

/** `NAME-scripts`: the backup and restore scripts the Jobs run. */
export function buildScriptsConfigMap(resource: MySQL): V1ConfigMap {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: childNames(resource).scripts, namespace: resource.metadata.namespace, labels: labelsFor(resource, "scripts") },
    data: { ...SCRIPT_TEXTS },
  };
}

/** Decodes one key of a Secret's `data` (base64), or `undefined` when absent. */
export function secretValue(secret: V1Secret | undefined, key: string): string | undefined {
  const encoded = secret?.data?.[key];
  if (encoded !== undefined) return Buffer.from(encoded, "base64").toString("utf8");
  return secret?.stringData?.[key];
}
