/**
 * A process-wide or per-object memo with a bound: values remembered by key, the oldest forgotten first once `max` are,
 * so that a table fed by what the cluster sends never grows without end. A value forgotten is only computed again.
 */

/** `known[key]`, else `compute()` remembered there; the oldest entry is forgotten first once `max` are remembered. */
export function remembered<K, T>(known: Map<K, T>, key: K, max: number, compute: () => T): T {
  const found = known.get(key);
  if (found !== undefined) return found;
  const value = compute();
  if (known.size >= max) known.delete(known.keys().next().value as K);
  known.set(key, value);
  return value;
}
