/**
 * What the loop remembers of a spec and how it tells what changed: per field, a fingerprint
 * in `status.appliedSpec` (canonical JSON of the value; for a sensitive field an HMAC keyed by
 * the object's uid, so status never holds a secret), decoded back where a value is needed.
 * This is the one definition of that encoding.
 */
import { createHmac } from "node:crypto";
import type { AnyResource, SpecOf } from "./types.ts";

/**
 * What a change of a spec field means (declared in the schema, per field):
 * `hook` — the field's typed change hook makes the world follow;
 * `rollout` — applying the desired children is all there is, no hook;
 * `immutable` — the API server refuses a change (a CEL transition rule); one that got past it
 * (e.g. stored before the rule existed) fails the reconcile and the applied value stays in force.
 */
export type ChangePolicy = "hook" | "rollout" | "immutable";

/** One spec field as the loop sees it (generated from the schema, in schema order). */
export interface SpecFieldInfo {
  readonly name: string;
  readonly onChange: ChangePolicy;
  /** Marked sensitive: fingerprinted only as a salted hash, never decoded, never shown. */
  readonly sensitive?: boolean;
}

/** What a change hook is given: the value applied last time and the value the spec holds now. */
export interface FieldChange<T> {
  readonly previous: T | undefined;
  readonly current: T;
}

/** The change of a sensitive field: only a salted hash of the old value is kept, so `previous` is always `undefined`. */
export interface SensitiveFieldChange<T> {
  readonly previous: undefined;
  readonly current: T;
}

/** JSON with object keys sorted, so equal values always give equal fingerprints. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === "object" && v !== null && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** `sha256:<hex>` of a secret value, keyed by `salt` (the object's uid) so equal secrets of different objects differ. */
export function sensitiveFingerprint(salt: string, value: unknown): string {
  return `sha256:${createHmac("sha256", salt).update(canonicalJson(value)).digest("hex")}`;
}

/** Per spec field present in `resource`, its fingerprint (see the module comment). */
export function fingerprintSpec(resource: AnyResource, fields: readonly SpecFieldInfo[]): Record<string, string> {
  const spec = (resource.spec ?? {}) as Record<string, unknown>;
  const fingerprints: Record<string, string> = {};
  for (const field of fields) {
    const value = spec[field.name];
    if (value === undefined) continue;
    fingerprints[field.name] = field.sensitive === true ? sensitiveFingerprint(resource.metadata.uid ?? "", value) : canonicalJson(value);
  }
  return fingerprints;
}

/** Decodes a non-sensitive fingerprint back into the value it was taken from; `undefined` when absent or unreadable. */
export function decodeFingerprint<T>(fingerprint: string | undefined): T | undefined {
  if (fingerprint === undefined) return undefined;
  try {
    return JSON.parse(fingerprint) as T;
  } catch {
    return undefined;
  }
}

/** A spec field's value as last applied: `known: false` before the first fully successful reconcile (or when unreadable). */
export type AppliedValue<T> = { readonly known: false; readonly value: undefined } | { readonly known: true; readonly value: T | undefined };

/**
 * The value of the non-sensitive spec field `field` as the last fully successful reconcile applied
 * it. Children that cannot follow a change in place are built from it, so a refused change never
 * turns into an apply error loop.
 */
export function appliedValue<R extends AnyResource, K extends keyof SpecOf<R> & string>(resource: R, field: K): AppliedValue<SpecOf<R>[K]> {
  const applied = resource.status?.appliedSpec;
  if (applied === undefined) return { known: false, value: undefined };
  const fingerprint = applied[field];
  if (fingerprint === undefined) return { known: true, value: undefined };
  const value = decodeFingerprint<SpecOf<R>[K]>(fingerprint);
  return value === undefined ? { known: false, value: undefined } : { known: true, value };
}
