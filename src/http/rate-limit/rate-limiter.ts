import type { Clock } from '../../runtime/clock.ts';

/**
 * Fixed-window request counter per key (an IP address), on the injected clock. Memory stays bounded:
 * keys from past windows are dropped whenever the window turns over.
 */
export class RateLimiter {
  #windowStart = 0;
  #counts = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    /** Requests allowed per key per window. */
    private readonly limit: number,
    private readonly windowMs = 60_000,
  ) {}

  /** Counts one request; returns the seconds to wait when over the limit, or 0 when allowed. */
  take(key: string): number {
    const now = this.clock.now();
    if (now - this.#windowStart >= this.windowMs) {
      this.#windowStart = now - (now % this.windowMs);
      this.#counts.clear();
    }
    const count = (this.#counts.get(key) ?? 0) + 1;
    this.#counts.set(key, count);
    if (count <= this.limit) return 0;
    return Math.max(1, Math.ceil((this.#windowStart + this.windowMs - now) / 1000));
  }
}
