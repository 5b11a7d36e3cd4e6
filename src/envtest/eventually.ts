import { setTimeout as sleep } from "node:timers/promises";

/**
 * Polls `check` until it returns a value other than undefined/false, or fails with the last
 * error after `timeoutMs`: how integration tests wait for a controller to converge (a bounded
 * wait, never a fixed sleep).
 */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 20_000, intervalMs = 100): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await sleep(intervalMs);
  }
}
