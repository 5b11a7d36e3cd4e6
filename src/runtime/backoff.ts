/** Exponential back-off with jitter, shared by the work queue and the watch restarts; the wakeable sleep of the loops that wait. */

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

/** A sleep that {@link WakeableSleep.wake} ends early: a loop that waits between attempts, and must stop at once. */
export interface WakeableSleep {
  /** Resolves once `ms` passed or {@link wake} was called, whichever comes first. */
  readonly done: Promise<void>;
  /** Ends the sleep now (its timer cleared); nothing once it ended. */
  wake(): void;
}

/** Sleeps `ms`, unless woken first; `onEnd` runs once, as the sleep ends (either way), before `done` resolves. */
export function wakeableSleep(ms: number, onEnd?: () => void): WakeableSleep {
  let wake = (): void => {};
  const done = new Promise<void>((resolve) => {
    let ended = false;
    const timer = setTimeout(() => wake(), ms);
    wake = () => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      onEnd?.();
      resolve();
    };
  });
  return { done, wake: () => wake() };
}
