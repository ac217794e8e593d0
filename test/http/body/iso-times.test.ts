import { describe, expect, it } from 'vitest';
import { withIsoTimes } from '../../../src/http/body/iso-times.ts';

const AT = Date.UTC(2026, 10, 22, 13);

describe('withIsoTimes', () => {
  it('writes epoch milliseconds under a time key as ISO-8601, at any depth', () => {
    expect(withIsoTimes({ at: AT, trigger: { dueAt: AT, steps: [{ sentAt: AT }] } })).toEqual({
      at: '2026-11-22T13:00:00.000Z',
      trigger: { dueAt: '2026-11-22T13:00:00.000Z', steps: [{ sentAt: '2026-11-22T13:00:00.000Z' }] },
    });
  });

  it('leaves counts, durations and other keys alone', () => {
    const value = { attempts: 3, retryAfterMs: 0, waitedAt: 60_000, created: AT, at: 'soon', format: AT };
    expect(withIsoTimes(value)).toEqual(value);
  });

  it('leaves scalars, null and dates as they are', () => {
    const date = new Date(AT);
    expect(withIsoTimes(AT)).toBe(AT);
    expect(withIsoTimes(null)).toBeNull();
    expect(withIsoTimes(date)).toBe(date);
  });
});
