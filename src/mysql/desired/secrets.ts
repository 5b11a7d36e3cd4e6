/**
 * Secrets and script files. `NAME-credentials` holds the root password the server has
 * now; the password-change Secret exists only while a change runs.
 */
import { createHmac } from "node:crypto";
import type { V1ConfigMap, V1Secret } from "@kubernetes/client-node";
import type { MySQLInstance } from "../instance.ts";
import { SCRIPT_TEXTS } from "../scripts/index.ts";
import { labelsFor } from "../names.ts";
import { clientOptionFile, passwordChangeSql } from "../sql.ts";
import { PASSWORD_KEY } from "./server.ts";

/** Files of the password-change Secret that its Job mounts. */
export const PASSWORD_CHANGE_FILES = { client: "client.cnf", sql: "change.sql" } as const;

/**
 * Keys of the password-change Secret that stay out of the Job: the password being set (to be
 * recorded in NAME-credentials once the Job succeeded), a random key for
 * {@link passwordChangeDigest}, and the passwords of earlier changes that did not finish (a JSON
 * array), any of which their Jobs may have set on the server.
 */
export const PASSWORD_CHANGE_KEYS = { target: "target", nonce: "nonce", earlier: "earlier" } as const;

/**
 * `hmac-sha256:<hex>` of `password` keyed by `nonce`: ties a password-change Job to the
 * password it sets. The key lives only in the password-change Secret, so the digest on the
 * Job (readable by anyone who may read Jobs) cannot be used to test guesses of the password.
 */
export function passwordChangeDigest(nonce: string, password: string): string {
  return `hmac-sha256:${createHmac("sha256", nonce).update(password, "utf8").digest("hex")}`;
}

function base64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

/** `NAME-credentials` with the root password the server has (or gets on first start). */
export function buildCredentialsSecret(instance: MySQLInstance, password: string): V1Secret {
  const { resource, names } = instance;
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: names.credentials, namespace: resource.metadata.namespace, labels: labelsFor(resource, "credentials") },
    type: "Opaque",
    data: { [PASSWORD_KEY]: base64(password) },
  };
}

/**
 * `NAME-password-change`: a client option file with the current password, and the passwords the
 * server may have instead as fallbacks, and the SQL that sets the new one (mounted by the Job), the
 * new password itself, the `nonce` of the digest on the Job, and the `earlier` passwords.
 */
export function buildPasswordChangeSecret(instance: MySQLInstance, current: string, target: string, nonce: string, earlier: readonly string[] = []): V1Secret {
  const { resource, names } = instance;
  // Tried in this order while the server answers "access denied": the recorded one, the new one (an attempt cut short
  // may have set it), then those of earlier changes that did not finish.
  const fallbacks = [...new Set([target, ...earlier])].filter((p) => p !== current);
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: names.passwordChange, namespace: resource.metadata.namespace, labels: labelsFor(resource, "password-change") },
    type: "Opaque",
    data: {
      [PASSWORD_CHANGE_FILES.client]: base64(clientOptionFile(names.server, current, 3306, fallbacks)),
      [PASSWORD_CHANGE_FILES.sql]: base64(passwordChangeSql(target)),
      [PASSWORD_CHANGE_KEYS.target]: base64(target),
      [PASSWORD_CHANGE_KEYS.nonce]: base64(nonce),
      ...(earlier.length === 0 ? {} : { [PASSWORD_CHANGE_KEYS.earlier]: base64(JSON.stringify(earlier)) }),
    },
  };
}

/** `NAME-scripts`: the backup and restore scripts the Jobs run. */
export function buildScriptsConfigMap(instance: MySQLInstance): V1ConfigMap {
  const { resource, names } = instance;
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: names.scripts, namespace: resource.metadata.namespace, labels: labelsFor(resource, "scripts") },
    data: { ...SCRIPT_TEXTS },
  };
}

/** Decodes one key of a Secret's `data` (base64), or `undefined` when absent. */
export function secretValue(secret: V1Secret | undefined, key: string): string | undefined {
  const encoded = secret?.data?.[key];
  if (encoded !== undefined) return Buffer.from(encoded, "base64").toString("utf8");
  return secret?.stringData?.[key];
}
