import { setTimeout as sleep } from 'node:timers/promises';
import type { RateLimit } from '../destinations/kit/destination.ts';

/** Slack on each window (ms), for the time a request takes to reach the partner and its clock. */
const BURST_SLACK = 50;
const STEADY_SLACK = 500;

/**
 * Keeps sends to one partner endpoint under its published limits: at most `perSecond` in any second and
 * `perMinute` in any minute (sliding windows, so the partner's fixed windows are never exceeded), scaled
 * by `share`. Within those it sends as fast as it can: a backlog spends a minute's allowance at the
 * burst rate, which the partner allows, and drains soonest. After a 429 it holds every send until the
 * partner's `Retry-After` has passed. Times are real (monotonic) time, as a partner's limits are — except
 * against a stand-in that follows a replay's clock, where they are that clock's.
 */
export class PartnerRateLimit {
  readonly perSecond: number;
  readonly perMinute: number;
  readonly #second: number[];
  readonly #minute: number[];
  #secondAt = 0;
  #minuteAt = 0;
  #heldUntil = 0;
  #queue: Promise<void> = Promise.resolve();

  constructor(
    limit: RateLimit,
    share = 1,
    private readonly now: () => number = () => performance.now(),
    private readonly wait: (ms: number) => Promise<unknown> = sleep,
  ) {
    this.perSecond = Math.max(1, Math.floor(limit.perSecond * share));
    this.perMinute = Math.max(1, Math.floor(limit.perMinute * share));
    this.#second = new Array<number>(this.perSecond).fill(Number.NEGATIVE_INFINITY);
    this.#minute = new Array<number>(this.perMinute).fill(Number.NEGATIVE_INFINITY);
  }

  /** Resolves when one more request may go; callers are served in order. */
  take(): Promise<void> {
    const turn = this.#queue.then(() => this.#wait());
    this.#queue = turn;
    return turn;
  }

  /**
   * Takes a turn if one is free now and returns 0; otherwise takes nothing and returns how long until
   * one is (ms). For callers that reschedule instead of waiting.
   */
  tryTake(): number {
    const wait = this.#readyAt() - this.now();
    if (wait > 0) return Math.ceil(wait);
    this.#record();
    return 0;
  }

  /** The partner said to wait (ms). */
  holdFor(ms: number): void {
    this.#heldUntil = Math.max(this.#heldUntil, this.now() + ms);
  }

  /** When the next send may go: the oldest of the last `limit` sends must have left each window. */
  #readyAt(): number {
    return Math.max(
      this.#heldUntil,
      this.#second[this.#secondAt]! + 1_000 + BURST_SLACK,
      this.#minute[this.#minuteAt]! + 60_000 + STEADY_SLACK,
    );
  }

  async #wait(): Promise<void> {
    for (let ready = this.#readyAt(); ready > this.now(); ready = this.#readyAt())
      await this.wait(Math.ceil(ready - this.now()));
    this.#record();
  }

  #record(): void {
    const at = this.now();
    this.#second[this.#secondAt] = at;
    this.#secondAt = (this.#secondAt + 1) % this.perSecond;
    this.#minute[this.#minuteAt] = at;
    this.#minuteAt = (this.#minuteAt + 1) % this.perMinute;
  }
}
