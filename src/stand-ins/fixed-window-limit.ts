/** A partner's per-account limit as partners enforce it: fixed one-second and one-minute windows. */
export class FixedWindowLimit {
  #second = { window: -1, count: 0 };
  #minute = { window: -1, count: 0 };

  constructor(
    readonly perSecond: number,
    readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one request; says when the caller may come back if it is over either window. */
  take(): { ok: true; remaining: number; resetSeconds: number } | { ok: false; retryAfterSeconds: number } {
    const now = this.now();
    const second = Math.floor(now / 1000);
    const minute = Math.floor(now / 60_000);
    if (this.#second.window !== second) this.#second = { window: second, count: 0 };
    if (this.#minute.window !== minute) this.#minute = { window: minute, count: 0 };
    if (this.#minute.count >= this.perMinute)
      return { ok: false, retryAfterSeconds: Math.ceil(((minute + 1) * 60_000 - now) / 1000) };
    if (this.#second.count >= this.perSecond) return { ok: false, retryAfterSeconds: 1 };
    this.#second.count++;
    this.#minute.count++;
    return {
      ok: true,
      remaining: this.perMinute - this.#minute.count,
      resetSeconds: Math.ceil(((minute + 1) * 60_000 - now) / 1000),
    };
  }
}
