/**
 * Whether a server-side apply would change anything, decided from the informer cache: an apply
 * that changes nothing is still a write request (and every reconcile re-applies every child).
 *
 * Two checks, both needed. The live object must hold every value the apply declares (someone may
 * have edited a field by hand: the apply then puts it back). And the hash of what was applied last,
 * kept in an annotation on the object, must equal the hash of what would be applied now: a field
 * this controller declared before and no longer declares is removed by the next apply, and only
 * the hash tells that it is still there (the live object holds more than the apply anyway: defaults,
 * status, other managers' fields).
 */
import { createHash } from "node:crypto";
import type { KubernetesObject } from "@kubernetes/client-node";
import { remembered } from "./bounded-memo.ts";
import { compareQuantities } from "./quantity.ts";

/**
 * `sha256:` of the object's JSON, shortened. Key order is the builder's: the same code builds the same order on every
 * reconcile, and another order (after an upgrade) costs one apply. Sorting keys cost more than the rest of the check.
 * A long value of `data`, `binaryData` or `stringData` (scripts in a ConfigMap; not a Secret's) counts by its own digest,
 * computed once per value: serialising 30 KB of shell takes about a millisecond, in every reconcile whose children are built anew.
 */
export function appliedHash(object: KubernetesObject): string {
  // A Secret's values (keys, certificates) are not kept in the process-wide table of digests, where they would outlive it.
  if (object.kind === "Secret") return hashOfJson(object);
  const payload = object as { data?: unknown; binaryData?: unknown; stringData?: unknown };
  const data = digestedValues(payload.data);
  const binaryData = digestedValues(payload.binaryData);
  const stringData = digestedValues(payload.stringData);
  const hashed =
    data === payload.data && binaryData === payload.binaryData && stringData === payload.stringData ? object : { ...object, data, binaryData, stringData };
  return hashOfJson(hashed);
}

function hashOfJson(value: unknown): string {
  return `sha256:${createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 32)}`;
}

/** Values at least this long count by their digest in {@link appliedHash}. */
const DIGESTED_MIN_LENGTH = 1024;
/** Digests remembered by value, the oldest forgotten first (the same few long values are applied over and over). */
const DIGESTED_MAX = 64;
const digests = new Map<string, string>();

/**
 * `map` with every long string value replaced by `{ sha256 }` of it (an object: no value of these maps can be one, so
 * no other map hashes the same), or `map` itself when it holds none.
 */
function digestedValues(map: unknown): unknown {
  if (typeof map !== "object" || map === null) return map;
  const values = map as Record<string, unknown>;
  let digested: Record<string, unknown> | undefined;
  for (const key of Object.keys(values)) {
    const value = values[key];
    if (typeof value !== "string" || value.length < DIGESTED_MIN_LENGTH) continue;
    const digest = remembered(digests, value, DIGESTED_MAX, () => createHash("sha256").update(value).digest("hex"));
    (digested ??= { ...values })[key] = { sha256: digest };
  }
  return digested ?? map;
}

/**
 * Fields whose `false` or 0 the API server keeps (pointers in its Go types, unlike the `omitempty` values it drops):
 * the hardening of a pod. Absent from a live object that was applied with them, they were edited away, and the apply
 * puts them back (`allowPrivilegeEscalation: false`, a pod's `automountServiceAccountToken: false`, `runAsUser: 0`).
 */
const KEPT_ZERO_FIELDS: ReadonlySet<string> = new Set([
  "allowPrivilegeEscalation",
  "automountServiceAccountToken",
  "fsGroup",
  "privileged",
  "readOnlyRootFilesystem",
  "runAsGroup",
  "runAsNonRoot",
  "runAsUser",
]);

/**
 * Whether `live` holds every value of `desired`: objects key by key (extra keys in `live` are fine, and an empty
 * string, `false`, 0 or an empty list may be absent, except in the fields of {@link KEPT_ZERO_FIELDS}),
 * lists of scalars exactly (order matters for a command line), except `metadata.finalizers` which is a
 * set others add to, and lists of objects element by element in order, where `live` may hold more
 * elements (another manager's owner reference, an injected container).
 */
export function holdsApplied(live: unknown, desired: unknown, path = ""): boolean {
  if (desired === undefined) return true;
  // The API server drops empty values of `omitempty` fields (a PersistentVolume's storageClassName "", readOnly false).
  if (live === undefined && (desired === "" || desired === false || desired === 0 || (Array.isArray(desired) && desired.length === 0))) return true;
  if (Array.isArray(desired)) {
    if (!Array.isArray(live)) return false;
    if (desired.every((item) => !isObject(item))) {
      if (path === ".metadata.finalizers") return desired.every((item) => live.includes(item));
      return live.length === desired.length && desired.every((item, i) => live[i] === item);
    }
    let next = 0;
    for (const item of desired) {
      while (next < live.length && !holdsApplied(live[next], item, path)) next++;
      if (next === live.length) return false;
      next++;
    }
    return true;
  }
  if (isObject(desired)) {
    if (!isObject(live)) return false;
    for (const [key, value] of Object.entries(desired)) {
      if (live[key] === undefined && value !== undefined && KEPT_ZERO_FIELDS.has(key)) return false;
      if (!holdsApplied(live[key], value, `${path}.${key}`)) return false;
    }
    return true;
  }
  if (live === desired) return true;
  // A quantity is stored in the API server's own form (`0.5` CPU as `500m`, `1024Mi` as `1Gi`): the same amount holds.
  return typeof live === "string" && typeof desired === "string" && QUANTITY_FIELD.test(path) && compareQuantities(live, desired) === 0;
}

/** Paths of quantities: the amounts of resource lists (a container's requests and limits, a volume's capacity) and an emptyDir's size limit. */
const QUANTITY_FIELD = /\.(?:requests|limits|capacity)\.[^.]+$|\.sizeLimit$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
