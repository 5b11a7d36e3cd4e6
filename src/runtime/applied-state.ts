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

/**
 * `sha256:` of the object's JSON, shortened. Key order is the builder's: the same code builds the same order on every
 * reconcile, and another order (after an upgrade) costs one apply. Sorting keys cost more than the rest of the check.
 */
export function appliedHash(object: KubernetesObject): string {
  return `sha256:${createHash("sha256").update(JSON.stringify(object)).digest("hex").slice(0, 32)}`;
}

/**
 * Whether `live` holds every value of `desired`: objects key by key (extra keys in `live` are fine, and an empty
 * string, `false`, 0 or an empty list may be absent),
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
    for (const [key, value] of Object.entries(desired)) if (!holdsApplied(live[key], value, `${path}.${key}`)) return false;
    return true;
  }
  return live === desired;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
