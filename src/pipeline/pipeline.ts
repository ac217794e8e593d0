import type { EventProcessor } from './event-processor.ts';

/** What falls due with time rather than with an event (journeys going idle past their window). */
export interface Timers {
  /**
   * Fires what is due at or before `upTo`, at most `limit` per transaction; answers how many it looked
   * at (fewer than `limit`: nothing more is due).
   */
  fireDue(upTo: number, limit: number): Promise<number>;
  /** The earliest time something falls due, or Infinity. */
  nextDueAt(): Promise<number>;
}

/** Most timers fired per transaction. */
const FIRE_LIMIT = 500;

/**
 * The event processor and the timers, moved forward together. The rule that keeps them consistent lives
 * here once: a timer fires only up to just before the oldest event not processed yet, since that event
 * could be the purchase that cancels it. The live runner and replay are two pacings of the same moves.
 */
export class Pipeline<E> {
  constructor(
    readonly processor: EventProcessor<E>,
    readonly timers: Timers,
  ) {}

  /** One transaction of firing, up to `time` or just before the oldest unprocessed event if earlier. */
  async fireDue(time: number, limit = FIRE_LIMIT): Promise<number> {
    const pending = await this.processor.pendingSince();
    return this.timers.fireDue(pending === undefined ? time : Math.min(time, pending - 1), limit);
  }

  /**
   * Processes the whole log, then fires everything due up to `time`; answers the earliest due time left
   * (Infinity when nothing is), so a caller pacing by it need not ask again. A caller that appended
   * nothing since its last advance says so (`appended: false`) and calls only when something is due.
   */
  async advanceTo(time: number, appended = true): Promise<number> {
    if (appended) {
      await this.processor.drain();
      const next = await this.timers.nextDueAt();
      if (next > time) return next;
    }
    while ((await this.fireDue(time)) === FIRE_LIMIT);
    return this.timers.nextDueAt();
  }
}
