/** Token-bucket rate limiting of API writes (client-go's QPS/burst). */

/** QPS and burst of a {@link TokenBucket}. */
export interface RateLimit {
  /** Sustained requests per second; `Infinity` disables the limit. */
  readonly qps: number;
  /** Requests allowed at once after a quiet period. */
  readonly burst: number;
}

/**
 * A token bucket with reservations: every caller takes a token now and waits until the
 * bucket would have held it, so callers are served in arrival order and none starves.
 */
export class TokenBucket {
  readonly #qps: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #last: number;

  /** `now` is injectable so that tests need no real time. */
  constructor(limit: RateLimit, now: () => number = () => performance.now()) {
    if (!(limit.qps > 0) || !(limit.burst >= 1)) throw new RangeError(`rate limit needs qps > 0 and burst >= 1, got qps=${limit.qps} burst=${limit.burst}`);
    this.#qps = limit.qps;
    this.#burst = limit.burst;
    this.#now = now;
    this.#tokens = limit.burst;
    this.#last = now();
  }

  /** Takes one token and returns how many milliseconds the caller must wait before using it. */
  reserve(): number {
    if (this.#qps === Infinity) return 0;
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#last) / 1000) * this.#qps);
    this.#last = now;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : (-this.#tokens / this.#qps) * 1000;
  }

  /** Resolves when the caller may send its request. */
  async acquire(): Promise<void> {
    const wait = this.reserve();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
