/**
 * The source of "now" for everything that decides by time. The live server uses the wall clock;
 * replay and tests drive a `ManualClock`, so the same engine runs in event time.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to; it never goes backwards. */
export class ManualClock implements Clock {
  #now: number;

  constructor(start: number) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  /** Moves the clock to `time`; a time in the past leaves it where it is. */
  advanceTo(time: number): void {
    if (time > this.#now) this.#now = time;
  }

  advanceBy(ms: number): void {
    this.#now += ms;
  }
}
