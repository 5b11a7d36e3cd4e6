/** Exponential back-off with jitter, shared by the work queue and the watch restarts. */

/** How a back-off grows. */
export interface BackoffOptions {
  /** Delay after the first failure. */
  readonly baseMs: number;
  /** Ceiling for the un-jittered delay. */
  readonly maxMs: number;
  /** Fraction (0..1) of the delay that is randomised, so that many keys failing together do not retry together. */
  readonly jitter: number;
}

/** controller-runtime's per-item defaults are 5 ms → 1000 s; an operator that writes Jobs wants a calmer start. */
export const defaultBackoff: BackoffOptions = { baseMs: 500, maxMs: 5 * 60_000, jitter: 0.2 };

/**
 * The delay before retry number `failures` (1 = first failure): `baseMs * 2^(failures-1)`,
 * capped at `maxMs`, then reduced by up to `jitter` of itself.
 */
export function backoffDelay(failures: number, options: BackoffOptions = defaultBackoff, random: () => number = Math.random): number {
  const exponent = Math.max(0, failures - 1);
  // 2^exponent overflows to Infinity long after the cap applies; min() keeps it finite.
  const raw = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(exponent, 52));
  return Math.round(raw * (1 - options.jitter * random()));
}
