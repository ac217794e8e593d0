import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../../src/http/rate-limit/rate-limiter.ts';
import { ManualClock } from '../../../src/runtime/clock.ts';

describe('RateLimiter', () => {
  it('allows `limit` requests per key in a window, then says how many seconds remain of it', () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 22, 12, 0, 15));
    const limiter = new RateLimiter(clock, 2);
    expect([limiter.take('a'), limiter.take('a')]).toEqual([0, 0]);
    expect(limiter.take('a')).toBe(45);
    expect(limiter.take('b')).toBe(0);
  });

  it('waits at least a second, and starts every key afresh when the window turns', () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 22, 12, 0, 59, 900));
    const limiter = new RateLimiter(clock, 1);
    limiter.take('a');
    expect(limiter.take('a')).toBe(1);
    clock.advanceBy(100);
    expect(limiter.take('a')).toBe(0);
  });
});
