/**
 * One frozen copy of each repeated part of the cached objects (hash-consing). An operator's children are built by the
 * same code: every Deployment of a kind holds the same probes, init container, security context and managed-fields
 * entries, and the children of one resource carry the same owner reference. Each watch event parses them anew; the
 * informer keeps one copy of each instead (bench:operator's heap snapshot at N = 300: 3.1 of the 6.0 MB the caches
 * held were subtrees equal to one held already, and 1 800 copies of "ReadWriteOnce" and such).
 *
 * Looking a part up costs its JSON text and a hash. Given the version held so far, or another object of the kind, a
 * part equal to the one at the same place there is taken from it with a comparison instead; what holds such a part (a
 * spec naming its resource, around shared probes) stays the object's own and is not looked up.
 *
 * What is shared is frozen: a handler that changes a shared part in place (never allowed: the cache is shared by every
 * reconcile) fails at once instead of changing other objects. The top level of an object and its `metadata` object stay
 * its own (the informer sets a listed item's kind, and both are unique to the object anyway).
 */
import { hash } from "node:crypto";
import { remembered as rememberedBounded } from "./bounded-memo.ts";

/** Subtrees whose JSON is longer are not looked up themselves (their parts are): few repeat, and each costs a hash. */
const SHARED_MAX_TEXT = 4096;
/** Distinct subtrees remembered, least recently seen forgotten first; a forgotten one is only stored again. */
const SHARED_MAX = 8192;

/**
 * The text of a value not looked up: longer than {@link SHARED_MAX_TEXT} (never built: only its length matters), or
 * taken as it is from the version held so far (its text not built either). A value containing one is not looked up.
 */
const NOT_LOOKED_UP = "\u0000not looked up";

/** Strings up to this long are kept once too (field values repeat: kinds, API versions, managers, node names). */
const SHARED_MAX_STRING = 64;
/** Distinct strings remembered, the oldest forgotten first. */
const SHARED_STRINGS_MAX = 16384;
const strings = new Map<string, string>();

/** Remembered subtrees by the SHA-256 of their JSON (equal hashes are taken as equal values). */
const remembered = new Map<string, unknown>();
/**
 * The key each part in {@link remembered} is known by, while it is there: forgotten with it ({@link forget}), so that it
 * holds the keys of at most {@link SHARED_MAX} parts. (Kept for every part ever remembered, as it was, it held a key for
 * each part the caches still hold: 49 000 keys with 1 000 resources in bench:operator, about 4 MB of the heap with the
 * key strings only it held.)
 */
const keyOf = new Map<object, string>();

/** Marks the part remembered under `key` as seen last: the least recently seen is forgotten first. */
function seen(key: string, part: unknown): void {
  remembered.delete(key);
  remembered.set(key, part);
}

/** Forgets the part remembered under `key`, and its key. */
function forget(key: string): void {
  keyOf.delete(remembered.get(key) as object);
  remembered.delete(key);
}

/**
 * Replaces, in place, every object and list below `object`'s top level (and below its `metadata`) by the copy
 * remembered for an equal value, and remembers the new ones; short strings likewise; a Secret is left as it is.
 * `previous`: the version of the object held so far, whose shared parts are taken as they are, at any depth, where the
 * new version holds an equal value (most of a watch event repeats the version before it: a Pod's spec when its status
 * changes), which costs one comparison instead of a serialisation and a hash of every part; or another object of the
 * kind (built by the same code, it holds the same probes and such). Returns `object`.
 */
export function shareSubtrees<T extends object>(object: T, previous?: object): T {
  const top = object as Record<string, unknown>;
  // A Secret's values (passwords) are not kept in the process-wide tables, where they would outlive the Secret.
  if (top.kind === "Secret") return object;
  const before = previous as Record<string, unknown> | undefined;
  for (const key of Object.keys(top)) {
    const value = top[key];
    if (key === "metadata" && isPlainObject(value)) {
      const meta = before?.metadata as Record<string, unknown> | undefined;
      for (const field of Object.keys(value)) value[field] = share(value[field], meta?.[field]).value;
    } else top[key] = share(value, before?.[key]).value;
  }
  return object;
}

/**
 * `kept` when it is shared (frozen) and equal to `value`. A part kept counts as seen: the parts repeated most (a
 * Deployment's spec, its owner references) would otherwise be forgotten first, while each status event brings new ones,
 * and a new object's equal part would no longer be one with them.
 */
function keptIfEqual(value: unknown, kept: unknown): unknown {
  if (typeof kept !== "object" || kept === null || !Object.isFrozen(kept) || !sameJson(value, kept)) return undefined;
  const key = keyOf.get(kept);
  if (key !== undefined) seen(key, kept);
  return kept;
}

/** Whether two parsed JSON values are equal, keys in the same order. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  for (let i = 0; i < keysA.length; i++) {
    const key = keysA[i] as string;
    if (key !== keysB[i] || !sameJson((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  }
  return true;
}

let lookups = 0;

/** Parts looked up (serialised and hashed) so far, for tests: a part taken by comparison is not. */
export function sharedLookupCount(): number {
  return lookups;
}

/**
 * Number of subtrees remembered now and of keys known for them, and whether each key is the one its part is remembered
 * under (for tests).
 */
export function sharedSubtreeCount(): { remembered: number; keys: number; consistent: boolean } {
  let consistent = true;
  for (const [part, key] of keyOf) if (remembered.get(key) !== part) consistent = false;
  return { remembered: remembered.size, keys: keyOf.size, consistent };
}

/**
 * The shared copy of `value` and its JSON text (`undefined` for a value JSON leaves out), or {@link NOT_LOOKED_UP} for
 * a value whose text would be longer than {@link SHARED_MAX_TEXT}: then no value containing it is looked up either, so
 * its text is never built (a ConfigMap's 30 KB of scripts cost a millisecond to serialise, in every watch event of it).
 * `kept`: the same place in the version held so far (or in another object of the kind, built by the same code): each
 * of its shared parts equal to `value`'s is taken as it is, one comparison instead of a text and a hash, and is
 * {@link NOT_LOOKED_UP} too (a Deployment's spec holds names of its own anyway; its probes are the kept ones).
 */
function share(value: unknown, kept?: unknown): { value: unknown; text: string | undefined } {
  const equal = keptIfEqual(value, kept);
  if (equal !== undefined) return { value: equal, text: NOT_LOOKED_UP };
  if (typeof value === "string") {
    // Its text is at least its length plus the quotes.
    if (value.length > SHARED_MAX_STRING) return { value, text: value.length + 2 > SHARED_MAX_TEXT ? NOT_LOOKED_UP : JSON.stringify(value) };
    return { value: sharedString(value), text: JSON.stringify(value) };
  }
  if (typeof value !== "object" || value === null) return { value, text: JSON.stringify(value) };
  // Shared already (one object reached twice) or frozen by its maker: taken as it is.
  if (Object.isFrozen(value)) return { value, text: JSON.stringify(value) };
  let text: string;
  // Once a part is not looked up, neither is the whole: the other parts are still shared, their texts no longer joined.
  let notLookedUp = false;
  const before = typeof kept === "object" && kept !== null && Array.isArray(kept) === Array.isArray(value) ? (kept as Record<string, unknown>) : undefined;
  if (Array.isArray(value)) {
    const parts: string[] = [];
    for (let i = 0; i < value.length; i++) {
      const item = share(value[i], before?.[i]);
      // Always: an equal string is === but may be another copy.
      value[i] = item.value;
      if (item.text === NOT_LOOKED_UP) notLookedUp = true;
      else if (!notLookedUp) parts.push(item.text ?? "null");
    }
    if (notLookedUp) return { value, text: NOT_LOOKED_UP };
    text = `[${parts.join(",")}]`;
  } else {
    const record = value as Record<string, unknown>;
    const parts: string[] = [];
    for (const key of Object.keys(record)) {
      const field = share(record[key], before?.[key]);
      record[key] = field.value;
      if (field.text === NOT_LOOKED_UP) notLookedUp = true;
      else if (!notLookedUp && field.text !== undefined) parts.push(`${JSON.stringify(key)}:${field.text}`);
    }
    if (notLookedUp) return { value, text: NOT_LOOKED_UP };
    text = `{${parts.join(",")}}`;
  }
  if (text.length > SHARED_MAX_TEXT) return { value, text: NOT_LOOKED_UP };
  lookups++;
  const key = hash("sha256", text, "base64");
  const known = remembered.get(key);
  if (known !== undefined) {
    seen(key, known);
    return { value: known, text };
  }
  remembered.set(key, Object.freeze(value));
  keyOf.set(value, key);
  if (remembered.size > SHARED_MAX) forget(remembered.keys().next().value as string);
  return { value, text };
}

function sharedString(value: string): string {
  return rememberedBounded(strings, value, SHARED_STRINGS_MAX, () => value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
